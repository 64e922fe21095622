"""A Manubot manuscript: a folder (``content/``, or the project folder holding it) read as
Manubot reads it.

- its Markdown files, in file-name order, as one manuscript (Manubot's syntax:
  :mod:`audit.inputs.markdown`);
- ``metadata.yaml``: the manuscript's metadata (``citekey-aliases`` among it);
- ``manual-references*.json``: CSL JSON items keyed by standard id (``doi:10.…``,
  ``url:…``), the data of the works they name (they take precedence over a registrar's,
  as in Manubot); a reference store, so a work in it that nobody cites is not reported;
- ``citation-tags.tsv``: Manubot's legacy tags (``tag`` -> citation key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from audit.errors import InputError
from audit.files import read_text
from audit.inputs import bibliography
from audit.inputs.markdown import read_manuscript
from audit.locate import declared
from audit.manubot import (
    MANUAL,
    METADATA,
    TAGS,
    content_folder,
    metadata_aliases,
    read_tags,
    standard_id,
)
from audit.model import Document, Entry


def _metadata(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"malformed YAML: {problem}", file=path,
                         line=mark.line + 1 if mark else None) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("the metadata must be a mapping (key: value)", file=path, line=1)
    return data


def read(paths: list[Path]) -> Document:
    """The Manubot manuscript in the folder ``paths[0]``."""
    folder = paths[0]
    content = content_folder(folder)
    if content is None:
        raise InputError("a folder with no Markdown files (nor a content/ folder holding some)",
                         file=folder)
    manuscript = read_manuscript(sorted(content.glob("*.md")))
    metadata = _metadata(content / METADATA)
    for key, value in metadata.items():  # a document's own metadata wins, as in pandoc
        manuscript.metadata.setdefault(key, value)
    aliases = {**metadata_aliases(manuscript.metadata), **manuscript.aliases}
    if (content / TAGS).is_file():
        aliases = {**{f"tag:{t}": k for t, k in read_tags(content / TAGS).items()}, **aliases}
    manuscript.aliases = aliases
    manual: dict[str, Entry] = {}  # by standard id: a later file's item wins, as in Manubot
    for path in sorted(content.glob(MANUAL)):
        for entry in bibliography.load(path):
            key = standard_id(entry.item)
            manual[key] = Entry(key, entry.item, entry.file, entry.line, entry.excerpt, listed=False)
    named = declared(manuscript.metadata.get("bibliography"), content)
    return Document(manuscript, entries=list(manual.values()), bibliographies=named)
