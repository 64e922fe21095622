"""The build's first steps: the manuscript read once, with citeproc, into one AST that every
format is written from; then the citations and images it names, checked."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from audit import pandoc
from audit.build.identifiers import Prepared
from audit.build.run import BuildError, Run, is_remote
from audit.files import read_text
from audit.locate import blank_code, occurrences

AST_NAME = "manuscript.ast.json"  # in output/.build, kept for replaying the manifest
_NOT_FOUND = re.compile(r"Citeproc: citation (\S+) not found")


def write_ast(run: Run, prepared: Prepared) -> Path:
    """pandoc: manuscript -> citeproc-processed AST (``pandoc/ast.yaml``), in the CSL style
    and with the date of ``SOURCE_DATE_EPOCH``."""
    out = run.work / AST_NAME
    date = datetime.fromtimestamp(run.epoch, UTC).strftime("%Y-%m-%d")
    run.pandoc("ast", "ast.yaml", prepared.source, out,
               ["--csl", run.rel(run.style.path), "--metadata", f"date={date}", *prepared.options])
    return out


def _where(run: Run, prepared: Prepared, line: int | None) -> str:
    """``file:line`` in the manuscript's own files of a line of the text pandoc read."""
    if line is None:
        return f"{run.rel(prepared.source)}:?"
    file, at = prepared.place(line)
    return f"{run.rel(file)}:{at}"


def check_citations(run: Run, prepared: Prepared, raw: str) -> int:
    """How many citations the AST (``raw``, its JSON text) holds; a :class:`BuildError` naming
    each cited key missing from the bibliography, with its file and line.

    Uses the AST step's own citeproc warnings, so the manuscript is parsed once.
    """
    missing = list(dict.fromkeys(
        m.group(1) for w in run.warnings.get("ast", []) if (m := _NOT_FOUND.search(w))))
    if not missing:
        return raw.count('"citationId":')
    doc = json.loads(raw)
    blanked = blank_code(read_text(prepared.source))
    found = occurrences(blanked)
    bibs = pandoc.meta_value(doc.get("meta", {}).get("bibliography")) or "none named"
    bibs = ", ".join(bibs) if isinstance(bibs, list) else str(bibs)
    lines = []
    for key in missing:
        offsets: list[int | None] = [*found.get(key, [])] or [None]
        for offset in offsets:
            line = blanked.count("\n", 0, offset) + 1 if offset is not None else None
            lines.append(f"{_where(run, prepared, line)}: citation key '{key}' is not in the "
                         f"bibliography ({bibs})")
    raise BuildError("undefined citation(s):\n  " + "\n  ".join(lines))


def check_images(run: Run, prepared: Prepared, raw: str) -> None:
    """Every local image the manuscript shows must exist (pandoc would only warn)."""
    missing = []
    for element, _, _ in pandoc.ast_elements(raw, "Image"):
        target = element["c"][2][0]
        if not is_remote(target) and run.local_image(target) is None:
            missing.append(target)
    if missing:
        text = read_text(prepared.source)
        where = []
        for target in missing:
            line = next((n for n, row in enumerate(text.split("\n"), 1) if target in row), None)
            where.append(f"{_where(run, prepared, line)}: image '{target}' not found")
        raise BuildError("ast: missing image(s):\n  " + "\n  ".join(where))
