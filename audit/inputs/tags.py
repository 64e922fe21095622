"""Manubot's citation tags: ``citation-tags.tsv`` (tag, citation), or a build's
``citations.tsv`` (input_id, dealiased_id), as ``{tag: citation key}``."""

from __future__ import annotations

import csv
from pathlib import Path

from audit.errors import InputError
from audit.files import read_text


def read_tags(path: Path) -> dict[str, str]:
    """The tags file at ``path`` as ``{tag: key}`` (``tag:x`` cites ``key``)."""
    rows = list(csv.reader(read_text(path).splitlines(), delimiter="\t"))
    if not rows:
        return {}
    header = [h.strip().lower() for h in rows[0]]
    tags: dict[str, str] = {}
    if header[:2] == ["tag", "citation"]:
        for row in rows[1:]:
            if len(row) >= 2:
                tags[row[0].strip()] = row[1].strip()
    elif "input_id" in header and "dealiased_id" in header:
        i, j = header.index("input_id"), header.index("dealiased_id")
        for row in rows[1:]:
            if len(row) > max(i, j) and row[i].startswith("tag:"):
                tags[row[i][4:]] = row[j]
    else:
        raise InputError("tags file must have a header 'tag<TAB>citation'", file=path, line=1)
    return tags
