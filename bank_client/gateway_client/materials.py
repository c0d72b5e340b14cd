"""Finding an application's material files on disk by the SHA-256 the application names."""
from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

MAX_MATERIAL_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class MaterialRef:
    type_code: str
    file_name: str
    sha256: str


@dataclass(frozen=True)
class MaterialFile:
    ref: MaterialRef
    path: Path

    def read(self) -> bytes:
        return self.path.read_bytes()

    @property
    def content_type(self) -> str:
        return mimetypes.guess_type(self.path.name)[0] or "application/octet-stream"


def locate(refs: list[MaterialRef], directories: list[Path]) -> tuple[list[MaterialFile], list[MaterialRef]]:
    """The files whose bytes hash to each reference (looked up by file name first, then among every
    file of the directories), and the references found nowhere."""
    found, missing = [], []
    index: dict[str, Path] | None = None
    for ref in refs:
        path = _by_name(ref, directories)
        if path is None:
            index = index if index is not None else _hash_index(directories)
            path = index.get(ref.sha256)
        if path is None:
            missing.append(ref)
        else:
            found.append(MaterialFile(ref, path))
    return found, missing


def _by_name(ref: MaterialRef, directories: list[Path]) -> Path | None:
    for directory in directories:
        candidate = directory / Path(ref.file_name).name
        if candidate.is_file() and _sha256(candidate) == ref.sha256:
            return candidate
    return None


def _hash_index(directories: list[Path]) -> dict[str, Path]:
    index: dict[str, Path] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.is_file() and path.stat().st_size <= MAX_MATERIAL_BYTES:
                index.setdefault(_sha256(path), path)
    return index


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
