"""A Markdown manuscript, read by pandoc, as citations with file and line.

Citations come from pandoc's JSON AST, never from a regular expression: body text,
footnotes, tables and captions count; code does not; pandoc-crossref labels are
cross-references. Each citation is then located in its file (:mod:`audit.locate`).

Manubot's syntax is read as Manubot reads it: a link-reference line
``[@alias]: doi:10.1098/…`` defines an alias and is not a citation (nor is anything in a
template expression, ``{{ … }}``, ``{% … %}``, ``{# … #}``, which Manubot renders before
pandoc reads the text); the metadata's ``citekey-aliases`` define aliases too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from audit import pandoc
from audit.errors import InputError
from audit.files import read_text
from audit.locate import declared, duplicate_key, locate, pandoc_input_error
from audit.manubot import manubot_text, metadata_aliases
from audit.model import Citation, Document, Manuscript

# pandoc-crossref labels (``@fig:x``, ``@tbl:x``…) look like citations but are cross-references.
CROSSREF_PREFIXES = ("fig:", "tbl:", "eq:", "sec:", "lst:")


def _figure_images(raw: str, start: int) -> list[tuple[int, int]]:
    """Where the images of figures are in an AST's JSON text: pandoc repeats a figure's
    caption as its image's description, so a citation there is the caption's, again."""
    spans = []
    for _, fig_start, fig_end in pandoc.ast_elements(raw, "Figure", start):
        for _, begin, end in pandoc.ast_elements(raw, "Image", fig_start):
            if begin >= fig_end:
                break
            spans.append((begin, end))
    return spans


def ast_citations(raw: str) -> list[tuple[str, str, str, str]]:
    """(key, mode, prefix, suffix) for every citation in the document body, in order.

    ``raw`` is the AST's JSON text. pandoc writes ``meta`` before ``blocks`` (and a
    ``"blocks":[`` inside a string would be escaped): only the body counts.
    """
    body = raw.rfind(pandoc.BLOCKS)
    start = body if body >= 0 else len(raw)
    repeated = _figure_images(raw, start)
    found = []
    for el, at, _ in pandoc.ast_elements(raw, "Cite", start):
        if any(begin <= at < end for begin, end in repeated):
            continue
        for cit in el["c"][0]:
            if cit["citationId"].startswith(CROSSREF_PREFIXES):
                continue
            found.append((cit["citationId"], cit["citationMode"]["t"],
                          pandoc.stringify(cit["citationPrefix"]),
                          pandoc.stringify(cit["citationSuffix"])))
    return found


def read(files: list[Path]) -> Document:
    """Markdown files read as one manuscript, with the bibliography its metadata names."""
    manuscript = read_manuscript(files)
    return Document(manuscript, bibliographies=declared(manuscript.metadata.get("bibliography"),
                                                        files[0].parent))


def read_manuscript(files: list[Path]) -> Manuscript:
    """Parse each Markdown file with pandoc; metadata from all files, first one wins."""
    if not files:
        raise InputError("no manuscript files given")
    metadata: dict[str, Any] = {}
    citations: list[Citation] = []
    aliases: dict[str, str] = {}
    for path in files:
        written = read_text(path)
        if not written.strip():
            raise InputError("the manuscript file is empty", file=path)
        text, defined = manubot_text(written)
        aliases.update({alias: target for alias, (target, _) in defined.items()})
        try:
            result = pandoc.run(["-f", "markdown", "-t", "json"], input_text=text, source=str(path))
        except pandoc.PandocError as exc:
            raise pandoc_input_error(path, text, exc) from None
        duplicate = duplicate_key(path, text, result.warnings)
        if duplicate is not None:
            raise duplicate
        for key, value in pandoc.ast_meta(result.stdout).items():
            metadata.setdefault(key, pandoc.meta_value(value))
        cites = ast_citations(result.stdout)
        lines = locate(text, [c[0] for c in cites])
        citations += [Citation(key=k, file=str(path), line=ln, mode=m, prefix=p, suffix=s)
                      for (k, m, p, s), ln in zip(cites, lines, strict=True)]
    nocite = metadata.get("nocite")
    nocite_all = False
    if nocite:
        text = nocite if isinstance(nocite, str) else " ".join(map(str, nocite))
        for key in re.findall(r"@\{?([\w*][\w:.#$%&\-+?<>~/]*)", text):
            if key == "*":
                nocite_all = True
            else:
                citations.append(Citation(key=key, file=str(files[0]), line=None, mode="nocite"))
    return Manuscript(files=list(files), metadata=metadata, citations=citations,
                      nocite_all=nocite_all, aliases={**metadata_aliases(metadata), **aliases})
