"""HTML5: one standalone page, stylesheet and figures embedded (``pandoc/html.yaml``)."""

from __future__ import annotations

from pathlib import Path

from audit.build.formats import Format
from audit.build.run import Run


def write(run: Run, ast: Path) -> Path:
    out = run.work / FORMAT.filename
    run.pandoc("html", "html.yaml", ast, out)
    return out


FORMAT = Format("html", "manuscript.html", write)
