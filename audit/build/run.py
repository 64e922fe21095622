"""One build's state and its pandoc steps: where it works, the steps it recorded for the
manifest, the notes it shows, and how a pandoc failure is reported."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.config import Config
from audit.files import read_text
from audit.locate import duplicate_key, pandoc_input_error
from audit.pandoc import PandocError
from audit.pandoc import run as run_pandoc
from audit.styles import Style

FALLBACK_EPOCH = 315532800  # 1980-01-01, the earliest date a ZIP file can carry
_MISSING_FILE = re.compile(r"File (.+?) not found in resource path")


class BuildError(Exception):
    """A step failed; the message says which and why."""


def source_date_epoch(root: Path) -> int:
    """``SOURCE_DATE_EPOCH``, else the last commit's time: never the clock."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value:
        try:
            return int(value)
        except ValueError:
            raise BuildError(f"SOURCE_DATE_EPOCH is not an integer: {value!r}") from None
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root,
                             capture_output=True, text=True, check=True)
        return int(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError, ValueError):
        return FALLBACK_EPOCH


def is_remote(target: str) -> bool:
    """An image target that is not a file: a URL or a data: URI."""
    return "://" in target or target.startswith("data:")


@dataclass
class Run:
    """One run of the build: everything is written in ``work`` (``output/.build``), and every
    command it runs is recorded, by output, so that the manifest can replay it."""

    config: Config
    style: Style
    epoch: int
    work: Path
    steps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def note(self, target: str, text: str) -> None:
        self.notes.setdefault(target, []).append(text)

    def rel(self, path: Path, start: Path | None = None) -> str:
        """``path`` relative to ``start`` (default: the project root), for replayable commands."""
        return os.path.relpath(path.resolve(), (start or self.config.root).resolve())

    def record(self, target: str, argv: list[str], cwd: Path | None = None) -> None:
        self.steps.setdefault(target, []).append(
            {"cwd": self.rel(cwd or self.config.root), "argv": argv})

    def local_image(self, target: str) -> Path | None:
        """The file an image target names, looked up as pandoc's resource path does."""
        if is_remote(target):
            return None
        return next((base / target for base in (self.config.folder, self.config.root)
                     if (base / target).is_file()), None)

    def pandoc(self, target: str, defaults: str, src: Path, out: Path,
               extra: list[str] | None = None, cwd: Path | None = None) -> None:
        """Run the pandoc step writing ``out`` from ``src`` with the defaults file ``defaults``
        (in ``cwd``, default the project root); record it; report its failure or warnings."""
        cwd = cwd or self.config.root
        extra = list(extra or [])
        if ("--resource-path" not in extra
                and self.config.folder.resolve() != (self.config.root / "manuscript").resolve()):
            # the defaults files look for figures in manuscript/: this manuscript's are elsewhere
            paths = (self.rel(self.config.folder, cwd), self.rel(self.config.root, cwd))
            extra += ["--resource-path", ":".join(paths)]
        args = ["--defaults", self.rel(self.config.defaults / defaults, cwd), *extra,
                "--output", self.rel(out, cwd), self.rel(src, cwd)]
        self.record(target, ["pandoc", *args], cwd)
        try:
            result = run_pandoc(args, cwd=cwd, source=self.rel(src),
                                env={**os.environ, "SOURCE_DATE_EPOCH": str(self.epoch)})
        except PandocError as exc:
            raise self._failure(target, src, exc) from None
        if target == "ast":
            duplicate = duplicate_key(Path(self.rel(src)), read_text(src), result.warnings)
            if duplicate is not None:
                raise BuildError(f"ast: {duplicate}")
        fetch = [w for w in result.warnings if "Could not fetch resource" in w]
        if fetch:
            raise BuildError(f"{target}: pandoc could not fetch: {'; '.join(fetch)}")
        self.warnings[target] = result.warnings
        for warning in result.warnings:
            if "Citeproc: citation" not in warning:  # undefined keys are reported with lines
                self.note(target, f"{target}: pandoc: {warning}")

    def _failure(self, target: str, src: Path, exc: PandocError) -> BuildError:
        """pandoc's failure, said at the manuscript's line where it is the manuscript's."""
        if target == "ast" and "YAML" in exc.message:  # the manuscript's front matter
            return BuildError(f"ast: {pandoc_input_error(self.rel(src), read_text(src), exc)}")
        missing = _MISSING_FILE.search(exc.message)
        if target == "ast" and missing:  # e.g. the bibliography the front matter names
            name = missing.group(1)
            rows = read_text(src).split("\n")
            line = next((n for n, row in enumerate(rows, 1) if name in row), "?")
            return BuildError(f"ast: {self.rel(src)}:{line}: file '{name}' not found "
                              "(looked in the manuscript's folder and the project root)")
        return BuildError(f"{target}: pandoc failed: {exc.message}")
