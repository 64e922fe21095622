"""Word (``pandoc/docx.yaml``), its ZIP entries dated ``SOURCE_DATE_EPOCH``, its SVG figures
turned into PNGs by typst (pandoc's DOCX writer would need the system's ``rsvg-convert``).

Pointing the AST at the PNGs is a step of its own in the manifest:
``python -m audit.build.formats.docx AST OUT``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit import pandoc
from audit.build.formats import Format
from audit.build.run import FALLBACK_EPOCH, BuildError, Run, source_date_epoch
from audit.config import Config
from audit.files import write_atomic
from audit.styles import StyleError, resolve_style

PNG_PPI = 220  # figures in DOCX: print resolution


def write(run: Run, ast: Path) -> Path:
    out = run.work / FORMAT.filename
    run.pandoc("docx", "docx.yaml", png_figures(run, ast), out)
    check_zip_dates(out, run.epoch)
    return out


FORMAT = Format("docx", "manuscript.docx", write)


def svg_figures(run: Run, raw: str) -> Iterator[tuple[dict[str, Any], int, int, Path]]:
    """The AST's local SVG images: (element, where it begins and ends in ``raw``, file)."""
    for element, begin, end in pandoc.ast_elements(raw, "Image"):
        target = element["c"][2][0]
        source = run.local_image(target)
        if source is not None and target.lower().endswith(".svg"):
            yield element, begin, end, source

def png_figures(run: Run, ast: Path) -> Path:
    """An AST whose SVG figures are PNGs rendered by typst, for Word.

    pandoc's DOCX writer needs ``rsvg-convert`` (a system package) for the PNG that
    Word versions before 2016 show; typst renders the same SVG with no system package.
    Recorded as two kinds of step: ``python -m audit.build.formats.docx`` (a typst page per
    figure and the AST pointing at the PNGs), then one ``typst compile`` per figure.
    """
    out, pages = figure_pages(run, ast, ast.parent / "manuscript.docx.ast.json")
    for page, png in pages:
        import typst

        try:
            typst.compile(str(page), output=str(png), root=str(run.config.root),
                          format="png", ppi=PNG_PPI)
        except Exception as exc:  # the binding raises plain RuntimeError/TypstError
            raise BuildError(f"docx: typst could not render {run.rel(page)}: {exc}") from None
        run.record("docx", ["typst", "compile", "--root", ".", "--format", "png",
                             "--ppi", str(PNG_PPI), run.rel(page), run.rel(png)])
    return out

def figure_pages(run: Run, ast: Path, out: Path) -> tuple[Path, list[tuple[Path, Path]]]:
    """For each SVG figure, a typst page that shows it; ``out``: the AST pointing at the PNGs.

    Returns the AST to use (``ast`` itself when it has no SVG figure) and the
    (page, PNG) pairs to render.
    """
    raw = ast.read_text("utf-8")
    pieces: list[str] = []
    pages: list[tuple[Path, Path]] = []
    last = 0
    for element, begin, end, source in svg_figures(run, raw):
        png = run.work / "docx-media" / (element["c"][2][0] + ".png")
        page = png.with_suffix(".typ")
        page.parent.mkdir(parents=True, exist_ok=True)
        where = "/" + os.path.relpath(source, run.config.root).replace(os.sep, "/")
        page.write_text('#set page(width: auto, height: auto, margin: 0pt)\n'
                        f'#image("{where}")\n', "utf-8")
        pages.append((page, png))
        element["c"][2][0] = run.rel(png)
        pieces += [raw[last:begin],
                   json.dumps(element, ensure_ascii=False, separators=(",", ":"))]
        last = end
    if not pieces:
        return ast, []
    out.write_text("".join(pieces) + raw[last:], "utf-8")
    run.record("docx", ["python", "-m", "audit.build.formats.docx", run.rel(ast), run.rel(out)])
    return out, pages


def check_zip_dates(path: Path, epoch: int) -> None:
    """DOCX is a ZIP: every member must carry the SOURCE_DATE_EPOCH date, not the clock."""
    stamp = datetime.fromtimestamp(max(epoch, FALLBACK_EPOCH), UTC).timetuple()[:6]
    with zipfile.ZipFile(path) as zf:
        if all(info.date_time == stamp for info in zf.infolist()):
            return
        members = [(info, zf.read(info)) for info in zf.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            out.writestr(fixed, data)
    write_atomic(path, buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    """``python -m audit.build.formats.docx AST OUT``: the AST pointed at its figures' PNGs,
    as the build makes it (run from the project root)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m audit.build.formats.docx AST OUT", file=sys.stderr)
        return 2
    source, out = Path(args[0]).resolve(), Path(args[1]).resolve()
    config = Config.load(Path.cwd())
    try:
        style = resolve_style(config.style, search=config.csl_dirs)
        run = Run(config=config, style=style, epoch=source_date_epoch(config.root), work=out.parent)
        made = figure_pages(run, source, out)[0]
    except (BuildError, StyleError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if made.resolve() != out:
        shutil.copyfile(made, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
