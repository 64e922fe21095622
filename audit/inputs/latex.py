r"""A LaTeX manuscript: its citations with file and line, the bibliography files it names
(``\bibliography``, ``\addbibresource``) and the reference list it types itself
(``thebibliography``).

The files are read as LaTeX reads them: the main file, with each ``\input``, ``\include``,
``\subfile`` and ``\import`` replaced by the file it names (relative to the main file's
folder, else the current one), every line remembering the file and line it comes from.
pandoc's LaTeX reader reads the whole; its AST gives the citations, with their mode and
notes, as for Markdown. Each is then located in the text outside comments, verbatim
environments, ``\verb`` and ``\iffalse`` blocks: the n-th citation of a key in the AST is
the n-th occurrence of that key in a citation command, in the file that holds it.

pandoc drops some citations, which are then read from the text: commands it does not know
(``\citenum``, ``\Citet``, ``\fullcite``…, renamed to ones it knows before it reads the
text), ``\nocite`` (all of them are read from the text), and citations inside commands or
environments it does not know (``\todo{…}``, a ``tikzpicture``).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit import pandoc
from audit.errors import InputError
from audit.inputs.latex_source import (
    BEGIN_DOCUMENT,
    Reader,
    Source,
    bibliographies,
    group_end,
    skip_space,
)
from audit.inputs.reftext import parse_reference_text
from audit.model import Citation, Document, Manuscript, PrintedReference

NORMAL, IN_TEXT, SUPPRESS = "NormalCitation", "AuthorInText", "SuppressAuthor"

# --- the citation commands -----------------------------------------------------------

#: The commands pandoc's LaTeX reader reads as citations, with the mode it gives them
#: (Text.Pandoc.Readers.LaTeX.Citation). A starred form it does not list reads as the plain one.
READ_BY_PANDOC: dict[str, str] = {
    **dict.fromkeys((
        "cite", "Cite", "citep", "citep*", "citeal", "citealp", "citealp*", "autocite", "Autocite",
        "smartcite", "Smartcite", "footcite", "Footcite", "parencite", "Parencite", "supercite",
        "Supercite", "footcitetext", "Footcitetext", "cites", "Cites", "autocites", "Autocites",
        "footcites", "Footcites", "parencites", "Parencites", "supercites", "Supercites",
        "footcitetexts", "Footcitetexts"), NORMAL),
    **dict.fromkeys((
        "citeyear", "Citeyear", "citeyearpar", "Citeyearpar", "autocite*", "Autocite*", "cite*",
        "Cite*", "parencite*", "Parencite*"), SUPPRESS),
    **dict.fromkeys((
        "citet", "citet*", "citealt", "citealt*", "textcite", "Textcite", "textcites", "Textcites",
        "citeauthor"), IN_TEXT),
}
#: Commands taking several ``[pre][post]{keys}`` groups (pandoc reads ``\textcite`` so too).
MULTI = frozenset({"textcite", "textcites", "Textcites", "cites", "Cites", "autocites", "Autocites",
                   "footcites", "Footcites", "parencites", "Parencites", "supercites", "Supercites",
                   "footcitetexts", "Footcitetexts", "smartcites", "Smartcites"})
#: natbib and biblatex commands pandoc silently drops, and the one it reads in their place.
RENAMED: dict[str, str] = {
    "Citet": "citet", "Citep": "citep", "Citealt": "citealt", "Citealp": "citealp",
    "Citeauthor": "citeauthor", "citefullauthor": "citeauthor", "Citefullauthor": "citeauthor",
    "citetalias": "citet", "citepalias": "citep", "citenum": "cite", "fullcite": "cite",
    "footfullcite": "footcite", "citetitle": "cite", "Citetitle": "cite", "citeurl": "cite",
    "citedate": "citeyear", "bibentry": "cite", "notecite": "cite", "pnotecite": "parencite",
    "fnotecite": "footcite", "smartcites": "autocites", "Smartcites": "Autocites",
}
_MODES = {**READ_BY_PANDOC, **{name: READ_BY_PANDOC[to] for name, to in RENAMED.items()}}
_NAMES = sorted({n.rstrip("*") for n in _MODES} | {"nocite"}, key=len, reverse=True)
_CITE = re.compile(r"\\(" + "|".join(_NAMES) + r")(?![A-Za-z@])(\*?)")
# a key as pandoc reads one (word characters and these symbols), and a group of keys
_KEY = re.compile(r"[\w.:;?!`'()/*@+=\-&\[\]]+")
_KEYS = re.compile(r"[\s,\w.:;?!`'()/*@+=\-&\[\]]*")

# --- citations ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Written:
    """One key in a citation command as written: where, and what the command makes of it."""

    key: str
    offset: int
    mode: str
    prefix: str = ""
    suffix: str = ""
    nocite: bool = False


def _note(text: str) -> str:
    """A pre- or postnote as text (pandoc's notes are used where pandoc read the citation)."""
    text = text.replace("~", "\u00a0").replace("---", "—").replace("--", "–")
    return " ".join(re.sub(r"[{}]", "", text).split())


def _groups(blanked: str, i: int, multi: bool
            ) -> tuple[list[tuple[list[str], list[tuple[str, int]]]], list[str], int]:
    """The ``[pre][post]{keys}`` groups of a citation command whose name ends at ``i``, the
    ``(pre)(post)`` notes of a multi-citation, and where the command ends."""
    notes: list[str] = []
    if multi:
        while len(notes) < 2 and blanked.startswith("(", j := skip_space(blanked, i)):
            end = group_end(blanked, j, ")")
            if end < 0:
                break
            notes.append(blanked[j + 1:end - 1])
            i = end
    groups: list[tuple[list[str], list[tuple[str, int]]]] = []
    while True:
        options: list[str] = []
        j = i
        while len(options) < 2 and blanked.startswith("[", k := skip_space(blanked, j)):
            end = group_end(blanked, k, "]")
            if end < 0:
                break
            options.append(blanked[k + 1:end - 1])
            j = end
        k = skip_space(blanked, j)
        if not blanked.startswith("{", k) or (end := group_end(blanked, k, "}")) < 0:
            break
        content = blanked[k + 1:end - 1]
        keys = [(m.group(0), k + 1 + m.start()) for m in _KEY.finditer(content)]
        if not keys or not _KEYS.fullmatch(content):
            break
        groups.append((options, keys))
        i = end
        if not multi:
            break
    return groups, notes, i


def _pre_post(notes: list[str]) -> tuple[str, str]:
    """One optional argument is the postnote; two are the prenote and the postnote."""
    return (notes[0], notes[1]) if len(notes) == 2 else ("", "".join(notes))


def written_citations(blanked: str) -> tuple[list[_Written], list[tuple[int, int, str]]]:
    r"""Every key in a citation command of ``blanked`` (text with comments and verbatim
    blanked), in order; and the commands pandoc drops, as (start, end, the name it reads)."""
    found: list[_Written] = []
    renames: list[tuple[int, int, str]] = []
    for m in _CITE.finditer(blanked):
        name, star = m.group(1), m.group(2)
        looked = name + star if name + star in _MODES else name
        groups, notes, _ = _groups(blanked, m.end(), name in MULTI)
        if not groups:
            continue
        if name in RENAMED:
            renames.append((m.start() + 1, m.start() + 1 + len(name), RENAMED[name]))
        if name == "nocite":
            found += [_Written(key, offset, "nocite", nocite=True)
                      for _, keys in groups for key, offset in keys]
            continue
        mode = _MODES[looked]
        multi_pre, multi_post = _pre_post(notes)
        for g, (options, keys) in enumerate(groups):
            pre, post = _pre_post(options)
            for n, (key, offset) in enumerate(keys):
                first, last = g == 0 and n == 0, g == len(groups) - 1 and n == len(keys) - 1
                prefix = " ".join(filter(None, [multi_pre if first else "", pre if n == 0 else ""]))
                suffix = ", ".join(filter(None, [post if n == len(keys) - 1 else "",
                                                 multi_post if last else ""]))
                # pandoc: only the first of \citet{a,b} is in the text (each of \textcite's)
                in_text = mode == IN_TEXT and (first or name == "textcite")
                found.append(_Written(key, offset, mode if mode != IN_TEXT or in_text else NORMAL,
                                      _note(prefix), _note(suffix)))
    return found, renames


def _renamed(text: str, renames: list[tuple[int, int, str]]) -> str:
    parts, last = [], 0
    for start, end, name in renames:
        parts += [text[last:start], name]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _cites(element: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(c["citationId"], c["citationMode"]["t"], pandoc.stringify(c["citationPrefix"]),
             pandoc.stringify(c["citationSuffix"])) for c in element["c"][0]]


def ast_citations(raw: str) -> list[tuple[str, str, str, str]]:
    r"""(key, mode, prefix, suffix) of every citation pandoc read, in its order: the metadata's
    (title, abstract…) first, but not ``nocite`` (``\nocite`` is read from the text), then the body's."""
    found: list[tuple[str, str, str, str]] = []
    for name, value in pandoc.ast_meta(raw).items():
        if name != "nocite":
            for el in pandoc.walk(value):
                if el["t"] == "Cite":
                    found += _cites(el)
    body = raw.rfind(pandoc.BLOCKS)
    for el, _, _ in pandoc.ast_elements(raw, "Cite", body if body >= 0 else len(raw)):
        found += _cites(el)
    return found


def _citations(source: Source, raw: str, written: list[_Written]) -> tuple[list[Citation], bool]:
    r"""Each citation pandoc read, located at its key's place in the text; then those it
    dropped (``\nocite``, citations in commands it does not know); in the text's order.
    Also whether ``\nocite{*}`` is there."""
    by_key: dict[str, list[_Written]] = defaultdict(list)
    for w in written:
        if not w.nocite:
            by_key[w.key].append(w)
    taken: dict[str, int] = defaultdict(int)
    # (where it sorts, where it is (None: not found), key, mode, prefix, suffix)
    placed: list[tuple[int, int | None, str, str, str, str]] = []
    last = -1
    for key, mode, prefix, suffix in ast_citations(raw):
        n = taken[key]
        taken[key] += 1
        offset = by_key[key][n].offset if n < len(by_key[key]) else _anywhere(source.blank, key)
        last = offset if offset is not None else last
        placed.append((last, offset, key, mode, prefix, suffix))
    dropped = [w for key, ws in by_key.items() for w in ws[taken[key]:]]
    nocite_all = any(w.nocite and w.key == "*" for w in written)
    placed += [(w.offset, w.offset, w.key, w.mode, w.prefix, w.suffix)
               for w in [*dropped, *(w for w in written if w.nocite and w.key != "*")]]
    citations = []
    for _, offset, key, mode, prefix, suffix in sorted(placed, key=lambda p: p[0]):
        file, line = source.place(offset) if offset is not None else (str(source.files[0]), None)
        citations.append(Citation(key=key, file=file, line=line, mode=mode, prefix=prefix,
                                  suffix=suffix))
    return citations, nocite_all


def _anywhere(blanked: str, key: str) -> int | None:
    """Where ``key`` is written as an argument (a citation made by a macro), if anywhere."""
    m = re.search(r"[{,]\s*(" + re.escape(key) + r")\s*[,}]", blanked)
    return m.start(1) if m else None


# --- thebibliography ------------------------------------------------------------------

_THEBIBLIOGRAPHY = re.compile(r"\\begin\s*\{thebibliography\}\s*(\{[^{}]*\})?")
_END_THEBIBLIOGRAPHY = re.compile(r"\\end\s*\{thebibliography\}")
_BIBITEM = re.compile(r"\\bibitem(?![A-Za-z@])\*?")
_MARK = "AUDITBIBITEMMARK"
# what .bbl files and bibitems use, defined unless the document defines it
_BIB_MACROS = r"""
\providecommand{\newblock}{}
\providecommand{\doi}[1]{\url{https://doi.org/#1}}
\providecommand{\bibinfo}[2]{#2}
\providecommand{\bibfield}[2]{#2}
\providecommand{\natexlab}[1]{#1}
\providecommand{\urlprefix}{}
\providecommand{\BIBand}{and}
\providecommand{\enquote}[1]{``#1''}
\providecommand{\eprint}[2][]{\url{#2}}
\renewcommand{\textsc}[1]{#1}
"""
_DOTLESS = str.maketrans({"ı": "i", "ȷ": "j"})


@dataclass(frozen=True)
class _Item:
    key: str | None
    offset: int  # of its \bibitem
    text: str  # LaTeX, as written


def _items(source: Source) -> tuple[list[_Item], list[str]]:
    r"""Each ``\bibitem`` of each ``thebibliography``; and what comes before the first item of
    each list (a .bbl file's macro definitions)."""
    items: list[_Item] = []
    heads: list[str] = []
    for env in _THEBIBLIOGRAPHY.finditer(source.blank):
        close = _END_THEBIBLIOGRAPHY.search(source.blank, env.end())
        end = close.start() if close else len(source.blank)
        starts = list(_BIBITEM.finditer(source.blank, env.end(), end))
        heads.append(source.text[env.end():starts[0].start() if starts else end])
        for n, m in enumerate(starts):
            i, key = skip_space(source.blank, m.end()), None
            if source.blank.startswith("[", i) and (label := group_end(source.blank, i, "]")) > 0:
                i = skip_space(source.blank, label)
            if source.blank.startswith("{", i) and (close_key := group_end(source.blank, i, "}")) > 0:
                key, i = source.blank[i + 1:close_key - 1].strip() or None, close_key
            stop = starts[n + 1].start() if n + 1 < len(starts) else end
            items.append(_Item(key, m.start(), source.text[i:stop]))
    return items, heads


def _plain(source: Source, items: list[_Item], heads: list[str]) -> list[str]:
    """Each item's text as plain text, by pandoc (with the document's own macros)."""
    begin = BEGIN_DOCUMENT.search(source.blank)
    preamble = source.text[:begin.start()] if begin else ""
    body = "".join(f"\n\n{_MARK}\n\n{item.text}" for item in items)
    document = (f"{preamble}\n{_BIB_MACROS}\n\\begin{{document}}\n{''.join(heads)}{body}\n\n{_MARK}\n\n"
                "\\end{document}\n")
    try:
        result = pandoc.run(["-f", "latex", "-t", "plain", "--wrap=none"], input_text=document)
    except pandoc.PandocError as exc:
        file, line = source.place(items[0].offset)
        raise InputError(f"cannot read the thebibliography entries: {' '.join(exc.message.split())}",
                         file=file, line=line) from None
    parts = result.stdout.split(_MARK)[1:]
    texts = [unicodedata.normalize("NFC", " ".join(p.split()).translate(_DOTLESS)) for p in parts]
    return (texts + [""] * len(items))[:len(items)]


def _printed(source: Source) -> list[PrintedReference]:
    r"""``thebibliography``'s entries, parsed as a printed reference list, each named by its
    ``\bibitem`` key (which the citations use) and located at its ``\bibitem``."""
    items, heads = _items(source)
    if not items:
        return []
    printed = []
    for number, (item, text) in enumerate(zip(items, _plain(source, items, heads), strict=True), 1):
        file, line = source.place(item.offset)
        parsed = parse_reference_text(f"{number}. {text}") if text else []
        ref = parsed[0] if parsed else PrintedReference(
            number, line, text, {"id": f"ref-{number}", "type": "article-journal"},
            problems=("empty entry",))
        printed.append(dataclasses.replace(ref, number=number, line=line, key=item.key, file=file,
                                           listed=True))
    return printed


# --- reading --------------------------------------------------------------------------

_PANDOC_ERROR = re.compile(r'Error at (?:"[^"]*" )?\(line (\d+), column (\d+)\):\s*(.*)', re.S)


def _pandoc_error(source: Source, given: list[str], exc: pandoc.PandocError) -> InputError:
    """pandoc's failure to read the LaTeX, at the file and line it comes from."""
    m = _PANDOC_ERROR.search(exc.message)
    if m is None:
        return InputError(f"pandoc cannot read this LaTeX: {' '.join(exc.message.split())}",
                          file=source.files[0])
    number, column, why = int(m.group(1)), int(m.group(2)), m.group(3).strip()
    inside = number <= len(source.lines)
    line = source.lines[min(number, len(source.lines)) - 1]
    why = why.removesuffix("^").rstrip()
    quoted = given[number - 1].strip() if inside else ""
    if quoted and why.endswith(quoted):  # pandoc quotes the line and points at the column
        why = why[:-len(quoted)].rstrip()
    why = " ".join(why.replace("unexpected ()", "unexpected end of input").split())
    expected = re.search(r"expecting \\end\{([^{}]+)\}", why)
    if expected and (opened := _unclosed(source.blank, expected.group(1))) is not None:
        file, number = source.place(opened)
        return InputError(f"\\begin{{{expected.group(1)}}} is never closed (pandoc: {why})",
                          file=file, line=number)
    where = f" (column {line.column + column})" if inside else " (at the end of the document)"
    return InputError(f"pandoc cannot read this LaTeX{where}: {why}", file=line.file,
                      line=line.number)


def _unclosed(blanked: str, env: str) -> int | None:
    r"""Where the last ``\begin{env}`` without its ``\end{env}`` is."""
    opened: list[int] = []
    for m in re.finditer(r"\\(begin|end)\s*\{" + re.escape(env) + r"\}", blanked):
        if m.group(1) == "begin":
            opened.append(m.start())
        elif opened:
            opened.pop()
    return opened[-1] if opened else None


def read(paths: list[Path]) -> Document:
    """The LaTeX manuscript whose main file is ``paths[0]``, with the files it inputs."""
    if not paths:
        raise InputError("no manuscript files given")
    main = paths[0]
    reader = Reader(main)
    reader.read(main, main.parent, ((main.resolve(), str(main)),))
    source = Source(reader.lines, reader.files)
    if not source.text.strip():
        raise InputError("the manuscript file is empty", file=main)
    named = bibliographies(source, main.parent)
    written, renames = written_citations(source.blank)
    given = _renamed(source.text, renames)
    try:
        result = pandoc.run(["-f", "latex", "-t", "json"], input_text=given, source=str(main))
    except pandoc.PandocError as exc:
        raise _pandoc_error(source, given.split("\n"), exc) from None
    citations, nocite_all = _citations(source, result.stdout, written)
    metadata: dict[str, Any] = {}
    title = pandoc.ast_meta(result.stdout).get("title")
    if title is not None:
        metadata["title"] = pandoc.meta_value(title)
    manuscript = Manuscript(files=source.files, metadata=metadata, citations=citations,
                            nocite_all=nocite_all)
    return Document(manuscript, printed=_printed(source), bibliographies=named)
