"""The outputs, one module per format, each behind the same small interface.

A format writes its output from the citeproc-processed AST into the build's work folder
(``output/.build``) and records every command it runs, so that the manifest can replay
it. A new output is a new module here defining ``FORMAT``, and its name in :data:`NAMES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from audit.build.run import Run

NAMES = ("html", "pdf", "jats", "docx")  # in the order they are listed and logged


@dataclass(frozen=True)
class Format:
    """One output: its name, its file in ``output/``, and how it is written from the AST
    (``write(run, ast)`` returns the file written in ``run.work``)."""

    name: str
    filename: str
    write: Callable[[Run, Path], Path]


def load(name: str) -> Format:
    """The format called ``name`` (one of :data:`NAMES`)."""
    if name not in NAMES:
        raise KeyError(name)
    fmt: Format = importlib.import_module(f"audit.build.formats.{name}").FORMAT
    return fmt


def filename(name: str) -> str:
    """The file the format called ``name`` writes in ``output/``."""
    return load(name).filename
