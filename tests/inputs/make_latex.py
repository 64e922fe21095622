r"""A :class:`~tests.inputs.spec.Spec` written as a LaTeX paper, as authors write one.

:func:`write_latex`: ``paper.tex`` holding the first half of the paragraphs, which
``\input``\ s ``sections/discussion.tex`` holding the rest (so citations live in two files),
with the references in ``refs.bib`` (pandoc's conversion of the spec's CSL items, keys kept):
BibTeX with natbib (``\bibliography{refs}``, ``\citep``) or BibLaTeX (``\addbibresource``,
``\parencite``); every other citation group is a plain ``\cite``.

:func:`write_thebibliography`: the same paper with the reference list typed in a
``thebibliography`` environment, each entry rendered in Vancouver style by pandoc's citeproc.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

from audit import pandoc
from audit.styles import resolve_style
from tests.inputs.spec import Spec

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
SECTION = Path("sections") / "discussion.tex"


def escape(text: str) -> str:
    """Plain text as LaTeX source."""
    return "".join(_SPECIAL.get(c, c) for c in text)


def paragraph(spec: Spec, text: str, commands: list[str]) -> str:
    """A spec paragraph as LaTeX, its citation groups written with ``commands`` in turn,
    wrapped as an author's editor wraps it (a citation command never split)."""
    out = []
    for piece in spec.pieces(text):
        if isinstance(piece, list):
            command = commands[0]
            commands.append(commands.pop(0))
            out.append(f"\\{command}{{{','.join(piece)}}}")
        else:
            out.append(escape(piece))
    return _wrap("".join(out))


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=78, break_long_words=False, break_on_hyphens=False)


def _bib(items: tuple[dict[str, Any], ...], fmt: str) -> str:
    """The items as a .bib file, by pandoc; BibTeX's keeps each item's DOI (pandoc's BibTeX
    writer leaves it out, reference managers write it)."""
    text = pandoc.run(["-f", "csljson", "-t", fmt], input_text=json.dumps(list(items))).stdout
    if fmt != "bibtex":
        return text
    dois = [item.get("DOI") for item in items]
    entries = re.split(r"(?m)^(?=@)", text)
    head, entries = entries[0], entries[1:]
    assert len(entries) == len(dois), "pandoc wrote one entry per item"
    return head + "".join(
        re.sub(r"^(@\w+\{[^,\n]*,\n)", lambda m, d=doi: f"{m.group(1)}  doi = {{{d}}},\n", entry)
        if doi else entry for entry, doi in zip(entries, dois, strict=True))


def _paper(spec: Spec, folder: Path, packages: str, commands: list[str], back: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    texts = [paragraph(spec, p, commands) for p in spec.paragraphs]
    half = (len(texts) + 1) // 2
    (folder / SECTION).parent.mkdir(exist_ok=True)
    (folder / SECTION).write_text("\\section{Discussion}\n\n" + "\n\n".join(texts[half:]) + "\n",
                                  "utf-8")
    path = folder / "paper.tex"
    path.write_text(
        "\\documentclass[11pt]{article}\n"
        "\\usepackage[utf8]{inputenc}\n"
        f"{packages}"
        f"\\title{{{escape(spec.title)}}}\n"
        "\\author{The manuscript-audit tests}\n"
        "\n\\begin{document}\n\\maketitle\n\n"
        "\\section{Introduction}\n\n"
        + "\n\n".join(texts[:half]) + "\n\n"
        f"\\input{{{SECTION.with_suffix('').as_posix()}}}\n\n"
        f"{back}"
        "\\end{document}\n", "utf-8")
    return path


def write_latex(spec: Spec, folder: Path, *, natbib: bool = False) -> Path:
    """``paper.tex`` (and ``sections/discussion.tex``) citing ``refs.bib``: BibTeX and natbib,
    or BibLaTeX."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refs.bib").write_text(_bib(spec.items, "bibtex" if natbib else "biblatex"), "utf-8")
    if natbib:
        return _paper(spec, folder, "\\usepackage[numbers,sort&compress]{natbib}\n",
                      ["cite", "citep"], "\\bibliographystyle{vancouver}\n\\bibliography{refs}\n\n")
    return _paper(spec, folder, "\\usepackage[style=vancouver,backend=biber]{biblatex}\n"
                  "\\addbibresource{refs.bib}\n", ["cite", "parencite"], "\\printbibliography\n\n")


def vancouver(items: tuple[dict[str, Any], ...]) -> dict[str, str]:
    """Each item's reference as LaTeX, rendered in Vancouver style by pandoc's citeproc."""
    style = resolve_style("vancouver").path
    distinct = list({item["id"]: item for item in items}.values())
    bibliography = json.dumps(distinct, ensure_ascii=False)
    markdown = "---\nnocite: '@*'\nreferences: " + bibliography + "\n---\n"
    latex = pandoc.run(["-f", "markdown", "-t", "latex", "--wrap=none", "--citeproc",
                        "--csl", str(style)], input_text=markdown).stdout
    rendered: dict[str, str] = {}
    for m in re.finditer(r"\\bibitem\[\\citeproctext\]\{ref-(.*?)\}", latex):
        start = latex.index("\\CSLRightInline{", m.end()) + len("\\CSLRightInline{")
        depth, i = 1, start
        while depth:
            depth += {"{": 1, "}": -1}.get(latex[i], 0) if latex[i - 1] != "\\" else 0
            i += 1
        rendered[m.group(1)] = " ".join(latex[start:i - 1].split())
    return rendered


def write_thebibliography(spec: Spec, folder: Path) -> Path:
    """``paper.tex`` (and ``sections/discussion.tex``) with its references typed in
    ``thebibliography``, in Vancouver style, each ``\\bibitem`` keyed by the item's id."""
    rendered = vancouver(spec.items)
    items = "".join(f"\\bibitem{{{item['id']}}}\n{_wrap(rendered[item['id']])}\n\n"
                    for item in spec.items)
    return _paper(spec, folder, "", ["cite"],
                  f"\\begin{{thebibliography}}{{{len(spec.items)}}}\n\n{items}"
                  "\\end{thebibliography}\n\n")
