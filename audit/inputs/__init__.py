"""Stage 1, reading: the manuscript, its bibliography, a printed reference list, Manubot tags.

One module per kind of input: :mod:`~audit.inputs.markdown` (a manuscript, through pandoc),
:mod:`~audit.inputs.bibliography` (CSL JSON, CSL YAML, BibTeX, BibLaTeX, through pandoc),
:mod:`~audit.inputs.reftext` (a numbered reference list pasted as text),
:mod:`~audit.inputs.tags` (Manubot's citation tags).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from audit.errors import InputError
from audit.files import read_text
from audit.inputs import bibliography
from audit.inputs.markdown import read_manuscript
from audit.inputs.reftext import parse_reference_text
from audit.inputs.tags import read_tags
from audit.model import Inputs

__all__ = ["read_inputs"]


def read_inputs(files: list[Path], bibliographies: list[Path] | None = None,
                reference_text: Path | None = None, tags: Path | None = None) -> Inputs:
    """Read every input the audit is given.

    The manuscript names its bibliography in metadata that only pandoc reads in full, and
    parsing a long manuscript takes pandoc a while: the bibliography its front matter (or
    ``--bibliography``) names is read meanwhile, and used if it is the one pandoc names.
    """
    inputs = Inputs()
    if files:
        guess = bibliographies or bibliography.declared_paths(files[0])
        with ThreadPoolExecutor(max_workers=1) as pool:
            ahead = (pool.submit(bibliography.load_all, guess)
                     if guess and all(p.is_file() for p in guess) else None)
            inputs.manuscript = read_manuscript(files)
            paths = bibliography.bibliography_paths(inputs.manuscript, bibliographies)
            for path in paths:
                if not path.is_file():
                    raise InputError("bibliography file not found", file=path)
            if ahead is not None and _same(paths, guess):
                inputs.entries = ahead.result()
            else:
                inputs.entries = bibliography.load_all(paths)
    elif bibliographies:
        inputs.entries = bibliography.load_all(bibliographies)
    if tags:
        inputs.tags = read_tags(tags)
    if reference_text:
        inputs.printed = parse_reference_text(read_text(reference_text), str(reference_text))
        inputs.printed_file = str(reference_text)
        if not inputs.printed:
            raise InputError("no numbered references found (expected lines such as "
                             "'1. Author A. Title. Journal. 2020;1:1-2.')",
                             file=reference_text, line=1)
    return inputs


def _same(a: list[Path], b: list[Path]) -> bool:
    return [p.resolve() for p in a] == [p.resolve() for p in b]
