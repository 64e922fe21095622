"""The outputs, one module per format, each behind the same small interface.

A format writes its output from the citeproc-processed AST into the build's work folder
(``output/.build``) and records every command it runs, so that the manifest can replay
it. A new output is a new module here defining ``FORMAT``, and its name in :data:`NAMES`.
A package of other outputs (MECA) names them in ``needs``: it is written after them, in
the same build, from what they wrote.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from audit.build.run import Run

NAMES = ("html", "pdf", "jats", "docx", "meca")  # in the order they are listed and logged


@dataclass(frozen=True)
class Format:
    """One output: its name, its file in ``output/``, and how it is written from the AST
    (``write(run, ast)`` returns the file written in ``run.work``); ``needs``: the outputs
    it is made from, built first (their files are in ``run.work`` when it is written)."""

    name: str
    filename: str
    write: Callable[[Run, Path], Path]
    needs: tuple[str, ...] = ()


def load(name: str) -> Format:
    """The format called ``name`` (one of :data:`NAMES`)."""
    if name not in NAMES:
        raise KeyError(name)
    fmt: Format = importlib.import_module(f"audit.build.formats.{name}").FORMAT
    return fmt


def filename(name: str) -> str:
    """The file the format called ``name`` writes in ``output/``."""
    return load(name).filename


def with_needs(targets: tuple[str, ...]) -> tuple[str, ...]:
    """``targets`` and the outputs they are made from, in the order of :data:`NAMES`."""
    wanted = set(targets)
    for name in targets:
        wanted.update(load(name).needs)
    return tuple(name for name in NAMES if name in wanted)
