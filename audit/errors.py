"""Errors that point at a place in the user's files.

Every error a user can cause (a missing file, malformed YAML, an unknown style, a
bad suppression) is an :class:`InputError`: the command prints it as one line,
``file:line: message``, and exits with status 2. Nothing else is caught.
"""

from __future__ import annotations

from pathlib import Path


class LocatedError(Exception):
    """An error with a place; ``str()`` is ``file:line: message`` when the place is known."""

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line

    def __str__(self) -> str:
        where = self.file or ""
        if where and self.line:
            where += f":{self.line}"
        return f"{where}: {self.message}" if where else self.message


class InputError(LocatedError):
    """Unusable input: the message names the file and, when known, the line."""
