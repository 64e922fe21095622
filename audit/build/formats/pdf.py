"""PDF without LaTeX: pandoc writes typst source (``pandoc/typst.yaml``), the ``typst``
package compiles it, dated ``SOURCE_DATE_EPOCH``."""

from __future__ import annotations

from pathlib import Path

from audit.build.formats import Format
from audit.build.run import BuildError, Run


def write(run: Run, ast: Path) -> Path:
    typ = run.work / "manuscript.typ"
    out = run.work / FORMAT.filename
    # Run from the work folder so that extracted images sit beside the .typ file
    # (typst resolves image paths relative to the source file).
    resources = run.rel(run.config.folder, run.work)
    run.pandoc("pdf", "typst.yaml", ast, typ, ["--resource-path", resources, "--extract-media",
                                                "media"], cwd=run.work)
    import typst

    run.record("pdf", ["typst", "compile", "--root", ".", "--creation-timestamp", str(run.epoch),
                       typ.name, out.name], run.work)
    try:
        typst.compile(str(typ), output=str(out), root=str(run.work), timestamp=run.epoch)
    except Exception as exc:  # the binding raises plain RuntimeError/TypstError
        raise BuildError(f"pdf: typst failed: {exc}") from None
    return out


FORMAT = Format("pdf", "manuscript.pdf", write)
