"""Stage 1, reading: the manuscript (in whatever format it is), its references, a printed
reference list, Manubot tags.

One module per format of manuscript, each ``read(paths) -> Document``:
:mod:`~audit.inputs.markdown` (pandoc Markdown), :mod:`~audit.inputs.manubot` (a Manubot
manuscript: a folder), :mod:`~audit.inputs.docx` (Word, with Zotero, Mendeley or EndNote
fields, or typed citations), :mod:`~audit.inputs.latex` (LaTeX with BibTeX/BibLaTeX or
``thebibliography``), :mod:`~audit.inputs.jats` (JATS or NLM XML). Beside them:
:mod:`~audit.inputs.bibliography` (CSL JSON, CSL YAML, BibTeX, BibLaTeX, through pandoc),
:mod:`~audit.inputs.reftext` (a numbered reference list pasted as text),
:func:`audit.manubot.read_tags` (Manubot's citation tags).

The format is told by the file's extension and checked against its content; a file
the audit cannot read as a manuscript is an :class:`~audit.errors.InputError`, never a
clean report.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from audit.errors import InputError
from audit.files import read_text
from audit.inputs import bibliography
from audit.inputs.reftext import parse_reference_text
from audit.manubot import read_tags
from audit.model import Document, Entry, Inputs, Manuscript

__all__ = ["FORMATS", "detect", "read_inputs"]

# format -> (extensions, what it is called in messages)
FORMATS: dict[str, tuple[tuple[str, ...], str]] = {
    "markdown": ((".md", ".markdown", ".qmd", ".rmd"), "Markdown"),
    "docx": ((".docx",), "Word (.docx)"),
    "latex": ((".tex", ".latex", ".ltx"), "LaTeX"),
    "jats": ((".xml", ".nxml", ".jats"), "JATS XML"),
    "manubot": ((), "a Manubot manuscript (a folder: content/ with Markdown files)"),
}
_SNIFF = 4096  # bytes read to tell a format by its content


def _sniff(head: bytes) -> str | None:
    """The format ``head`` (a file's first bytes) shows, if any."""
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE file: an old .doc, or an encrypted .docx
        return "ole"
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    text = head.decode("utf-16" if utf16 else "utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "xml"
    if "\\documentclass" in text or "\\begin{document}" in text:
        return "latex"
    return None


def detect(path: Path) -> str:
    """The format of the manuscript at ``path``: by its extension, checked against its content
    (a Word file renamed ``.md`` is not read as Markdown), or by its content alone."""
    if path.is_dir():
        return "manubot"
    try:
        with path.open("rb") as f:
            head = f.read(_SNIFF)
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", file=path) from None
    if not head.strip():
        raise InputError("the file is empty", file=path)
    seen = _sniff(head)
    if seen == "ole":
        raise InputError("an encrypted Word file, or an old .doc: save it as an unprotected "
                         ".docx", file=path)
    suffix = path.suffix.lower()
    named = next((name for name, (suffixes, _) in FORMATS.items() if suffix in suffixes), None)
    if named == "docx" and seen != "docx":
        raise InputError("not a Word .docx file (a .docx is a ZIP archive)", file=path)
    if named is not None and named != "docx" and seen == "docx":
        raise InputError(f"a ZIP archive (a Word file?), not {FORMATS[named][1]}: "
                         "name it .docx", file=path)
    if named == "jats" and seen != "xml":
        raise InputError("not an XML file", file=path)
    if named is not None:
        return named
    if seen == "xml":
        return "jats"
    if seen in ("docx", "latex"):
        return seen
    known = ", ".join(s for suffixes, _ in FORMATS.values() for s in suffixes)
    raise InputError(f"unknown manuscript format '{suffix or 'no extension'}' (the audit reads "
                     f"{known})", file=path)


def _reader(name: str) -> Callable[[list[Path]], Document]:
    read: Callable[[list[Path]], Document] = importlib.import_module(f"audit.inputs.{name}").read
    return read


def _documents(files: list[Path]) -> list[Document]:
    """Each manuscript file read by its format's reader; Markdown files side by side read as
    one manuscript (their metadata merged, the first file's winning)."""
    groups: list[tuple[str, list[Path]]] = []
    for path in files:
        kind = detect(path)
        if groups and kind == "markdown" == groups[-1][0]:
            groups[-1][1].append(path)
        else:
            groups.append((kind, [path]))
    return [_reader(kind)(paths) for kind, paths in groups]


def _merged(documents: list[Document]) -> Manuscript:
    first = documents[0].manuscript
    merged = Manuscript(files=[], metadata={}, citations=[])
    for doc in documents:
        merged.files += doc.manuscript.files
        for key, value in doc.manuscript.metadata.items():
            merged.metadata.setdefault(key, value)
        merged.citations += doc.manuscript.citations
        merged.nocite_all = merged.nocite_all or doc.manuscript.nocite_all
        merged.aliases.update(doc.manuscript.aliases)
    return merged if len(documents) > 1 else first


def read_inputs(files: list[Path], bibliographies: list[Path] | None = None,
                reference_text: Path | None = None, tags: Path | None = None) -> Inputs:
    """Read every input the audit is given.

    A Markdown manuscript names its bibliography in metadata that only pandoc reads in
    full, and parsing a long manuscript takes pandoc a while: the bibliography its front
    matter (or ``--bibliography``) names is read meanwhile, and used if it is the one
    pandoc names.
    """
    inputs = Inputs()
    if files:
        guess = bibliographies or bibliography.declared_paths(files[0])
        with ThreadPoolExecutor(max_workers=1) as pool:
            ahead = (pool.submit(bibliography.load_all, guess)
                     if guess and all(p.is_file() for p in guess) else None)
            documents = _documents(files)
            inputs.manuscript = _merged(documents)
            paths = bibliographies or [p for doc in documents for p in doc.bibliographies]
            for path in paths:
                if not path.is_file():
                    raise InputError("bibliography file not found", file=path)
            entries: list[Entry] = [e for doc in documents for e in doc.entries]
            if ahead is not None and _same(paths, guess):
                entries += ahead.result()
            else:
                entries += bibliography.load_all(paths)
            inputs.entries = entries
        inputs.printed = [ref for doc in documents for ref in doc.printed]
        inputs.findings = [f for doc in documents for f in doc.findings]
    elif bibliographies:
        inputs.entries = bibliography.load_all(bibliographies)
    if inputs.manuscript is not None:
        inputs.aliases = dict(inputs.manuscript.aliases)
    if tags:
        inputs.aliases.update({f"tag:{tag}": key for tag, key in read_tags(tags).items()})
    if reference_text:
        printed = [dataclasses.replace(ref, file=str(reference_text)) for ref in
                   parse_reference_text(read_text(reference_text), str(reference_text))]
        if not printed:
            raise InputError("no numbered references found (expected lines such as "
                             "'1. Author A. Title. Journal. 2020;1:1-2.')",
                             file=reference_text, line=1)
        inputs.printed += printed
    return inputs


def _same(a: list[Path], b: list[Path]) -> bool:
    return [p.resolve() for p in a] == [p.resolve() for p in b]
