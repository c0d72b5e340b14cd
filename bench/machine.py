"""The machine and software a benchmark ran on, for its report."""
from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from bench.services import postgres_version, redis_version

REPO = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _versions(*packages: str) -> dict[str, str]:
    found = {}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _or_error(function, *args) -> str:
    try:
        return function(*args)
    except Exception as exc:  # the report still gets written without this fact
        return f"unavailable ({type(exc).__name__})"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: other work on a shared machine shows here."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine_info(postgres_admin_url: str, redis_url: str) -> dict:
    return {
        "load_average_at_start": load_average(),
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": _or_error(postgres_version, postgres_admin_url),
        "redis": _or_error(redis_version, redis_url),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "packages": _versions("uvicorn", "uvloop", "httptools", "fastapi", "sqlalchemy", "psycopg", "celery", "signxml",
                              "lxml", "pyHanko", "aiohttp"),
    }
