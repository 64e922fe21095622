"""The build: the manuscript -> one citeproc-processed pandoc AST -> HTML, PDF, JATS, DOCX.

pandoc options live in the defaults files under ``pandoc/``; :mod:`~audit.build.pipeline`
runs the steps, :mod:`~audit.build.formats` holds one module per output,
:mod:`~audit.build.manifest` records what was built and from what.
"""

from __future__ import annotations

from audit.build.pipeline import TARGETS, build
from audit.build.run import BuildError

__all__ = ["TARGETS", "BuildError", "build"]
