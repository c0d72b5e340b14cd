"""The reference bank client is a package of its own: it imports nothing of the gateway and depends
only on the libraries its pyproject names, so a bank can install it alone."""
from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "bank_client"
ALLOWED_DEPENDENCIES = {"httpx", "cryptography", "lxml", "signxml", "joserfc", "http-message-signatures"}
# Import name of each allowed distribution.
ALLOWED_IMPORTS = {"httpx", "cryptography", "lxml", "signxml", "joserfc", "http_message_signatures", "gateway_client"}


def imported_top_level_modules() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((CLIENT / "gateway_client").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
                names = [getattr(node.args[0], "value", "?")]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(path.name)
    return found


def test_the_client_imports_nothing_of_the_gateway():
    imported = imported_top_level_modules()
    assert imported, "no imports found: the scan is broken"
    forbidden = {name: files for name, files in imported.items() if name in ("gateway", "bank_adapters", "signing")}
    assert not forbidden, forbidden


def test_the_client_imports_only_the_standard_library_and_its_declared_dependencies():
    imported = set(imported_top_level_modules())
    outside = sorted(name for name in imported - ALLOWED_IMPORTS if name not in sys.stdlib_module_names
                     and name != "__future__")
    assert not outside, outside


def test_the_department_client_imports_nothing_of_the_gateway_nor_anything_undeclared():
    imported = imported_top_level_modules()
    department = {name for name, files in imported.items() if any(f.startswith("department") for f in files)}
    assert "httpx" in department, "no department module scanned: the scan is broken"
    assert not department & {"gateway", "bank_adapters", "signing"}, department
    outside = sorted(name for name in department - ALLOWED_IMPORTS if name not in sys.stdlib_module_names
                     and name != "__future__")
    assert not outside, outside


def test_the_client_declares_exactly_its_six_dependencies_and_its_two_commands():
    project = tomllib.loads((CLIENT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {requirement.split(">")[0].split("=")[0].split("[")[0].strip().lower()
             for requirement in project["dependencies"]}
    assert names == ALLOWED_DEPENDENCIES
    assert project["name"] == "gateway-client"
    assert project["scripts"] == {"gateway-client": "gateway_client.cli:main",
                                  "department-client": "gateway_client.department:main"}


def test_make_install_installs_the_client_too():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(STAMP): pyproject.toml bank_client/pyproject.toml" in makefile
    assert "pip install --quiet -e ./bank_client" in makefile


def test_every_client_module_and_both_commands_load_where_the_gateway_cannot_be_imported():
    import subprocess

    blocker = """
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('gateway', 'bank_adapters', 'signing'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import gateway_client
for module in pkgutil.iter_modules(gateway_client.__path__):
    if module.name != '__main__':
        importlib.import_module('gateway_client.' + module.name)
from gateway_client.cli import main
from gateway_client.department import main as department_main
for command in (main, department_main):
    try:
        command(['--help'])
    except SystemExit as exit:
        assert exit.code == 0
print('ok')
"""
    done = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr
