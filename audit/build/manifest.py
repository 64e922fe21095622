"""``output/manifest.json``: what each output is (SHA-256), what made it (tool versions, the
CSL style, every command line with its folder), and the fingerprint of its inputs, by
which an unchanged output is not built again."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from audit import __version__, pandoc
from audit.build.formats import filename
from audit.config import Config
from audit.files import write_atomic
from audit.styles import Style

NAME = "manifest.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read(path: Path) -> dict[str, Any]:
    """The manifest at ``path`` (empty when there is none, or it is unreadable)."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write(path: Path, manifest: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(manifest, indent=2) + "\n")


def _typst_folders() -> list[Path]:
    """Where the typst package is installed, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("typst")
    return [Path(f) for f in spec.submodule_search_locations or []] if spec else []


def tool_identities() -> list[str]:
    """pandoc and the typst compiler library, identified without starting or importing them."""
    libraries = sorted(p for folder in _typst_folders() for p in folder.glob("_typst*"))
    return [pandoc.pandoc_identity(), *map(pandoc.file_identity, libraries)]


def typst_version() -> str:
    """The typst package's version, from its installed metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("typst")
    except PackageNotFoundError:
        return "unknown"


def fingerprint(config: Config, style: Style, epoch: int) -> str:
    """A hash of everything an output depends on: sources, defaults, style, tools, date.

    Outputs whose fingerprint and bytes match the manifest are not rebuilt.
    """
    digest = hashlib.sha256()
    files = {style.path, style.declared_path, *config.files()}
    if config.lock.is_file():
        files.add(config.lock)  # citation by identifier: the works' records
    for folder in (config.folder, config.defaults):
        files.update(p for p in folder.rglob("*") if p.is_file() and config.output not in p.parents)
    for path in sorted(files):
        digest.update(os.path.relpath(path, config.root).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for part in (*tool_identities(), __version__, str(epoch), str(config.jats_schema)):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def up_to_date(config: Config, targets: tuple[str, ...], fp: str) -> bool:
    """Are these outputs in place, as the manifest says they were built from these inputs?"""
    outputs = read(config.output / NAME).get("outputs", {})
    for target in targets:
        entry = outputs.get(target)
        path = config.output / filename(target)
        if (not entry or entry.get("fingerprint") != fp or not path.is_file()
                or sha256(path) != entry.get("sha256")):
            return False
    return True
