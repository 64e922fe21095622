"""Placeholder: this format is not read yet."""

from __future__ import annotations

from pathlib import Path

from audit.errors import InputError
from audit.model import Document


def read(paths: list[Path]) -> Document:
    raise InputError("this format is not read yet", file=paths[0])
