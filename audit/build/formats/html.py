"""HTML5: one standalone page that fetches nothing (``pandoc/html.yaml``).

Its filters embed the stylesheet, the figures and the script showing each citation's
references on hover or focus (``standalone-html.lua``, ``citation-popovers.lua``), and
write the Highwire Press (Google Scholar) and OpenGraph tags into its head from the front
matter and the reference list (``html-meta.lua``); pandoc adds the table of contents.
"""

from __future__ import annotations

from pathlib import Path

from audit.build.formats import Format
from audit.build.run import Run


def write(run: Run, ast: Path) -> Path:
    out = run.work / FORMAT.filename
    run.pandoc("html", "html.yaml", ast, out)
    return out


FORMAT = Format("html", "manuscript.html", write)
