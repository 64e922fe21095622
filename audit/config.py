"""The project's settings: ``[tool.manuscript-audit]`` in ``pyproject.toml``, overridden by the
environment. Read by the build and by the audit alike."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.errors import InputError

DEFAULT_MANUSCRIPT = "manuscript/review.md"
DEFAULT_STYLE = "skeletal-radiology"


@dataclass
class Config:
    """Where the manuscript, styles, pandoc defaults and outputs are, and which style to use.

    ``jats_schema`` is the folder of the NISO JATS 1.3 schema the build validates
    against; ``None`` means the copy shipped with the package.
    """

    root: Path
    manuscript: Path
    style: str = DEFAULT_STYLE
    output: Path = Path("output")
    defaults: Path = Path("pandoc")
    jats_schema: Path | None = None
    csl_dirs: tuple[Path, ...] = ()
    configured: bool = False  # pyproject.toml has a [tool.manuscript-audit] table

    def files(self) -> list[Path]:
        """The manuscript's Markdown files: the one named, or a Manubot folder's in name order."""
        from audit.manubot import markdown_files

        return markdown_files(self.manuscript) if self.manuscript.is_dir() else [self.manuscript]

    @property
    def folder(self) -> Path:
        """Where the manuscript's files are (a Manubot folder's: its content folder)."""
        files = self.files()
        return files[0].parent if files else self.manuscript

    @property
    def lock(self) -> Path:
        """The metadata lock: in a Manubot manuscript's folder, else beside the manuscript."""
        return (self.manuscript if self.manuscript.is_dir() else self.manuscript.parent
                ) / "references.lock.json"

    @classmethod
    def load(cls, root: Path) -> Config:
        data: dict[str, Any] | None = None
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            try:
                document = tomllib.loads(pyproject.read_text("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"not valid TOML ({exc})", file=pyproject) from None
            data = document.get("tool", {}).get("manuscript-audit")
        configured = isinstance(data, dict)
        data = data if isinstance(data, dict) else {}
        schema = os.environ.get("JATS_SCHEMA_DIR") or data.get("jats-schema")
        return cls(
            root=root,
            manuscript=root / data.get("manuscript", DEFAULT_MANUSCRIPT),
            style=os.environ.get("MANUSCRIPT_STYLE") or data.get("style", DEFAULT_STYLE),
            output=root / data.get("output", "output"),
            defaults=root / data.get("defaults", "pandoc"),
            jats_schema=(root / schema) if schema else None,
            csl_dirs=tuple(root / d for d in data.get("csl-dirs", ["csl"])),
            configured=configured,
        )
