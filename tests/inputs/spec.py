"""One manuscript, to be written in every format the audit reads (for tests).

A :class:`Spec` is paragraphs of text with citation groups written as in pandoc
Markdown (``[@a; @b]``), and the references as CSL JSON items (``id`` is the key), in
the order the reference list shows them. Each format's writer (``make_docx``,
``make_latex``, ``make_jats`` beside this module, and :func:`write_markdown` here)
turns a spec into a file the audit reads; a test can then compare what the audit finds
in each with what it finds in the Markdown version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_GROUP = re.compile(r"\[(@[^\]]+)\]")


@dataclass(frozen=True)
class Spec:
    title: str
    paragraphs: tuple[str, ...]
    items: tuple[dict[str, Any], ...]
    heading: str = "References"
    extra: dict[str, Any] = field(default_factory=dict)  # anything a writer may want

    def pieces(self, paragraph: str) -> list[str | list[str]]:
        """A paragraph as text pieces and citation groups (lists of keys), in order."""
        out: list[str | list[str]] = []
        last = 0
        for match in _GROUP.finditer(paragraph):
            if match.start() > last:
                out.append(paragraph[last:match.start()])
            out.append([k.strip().lstrip("@") for k in match.group(1).split(";")])
            last = match.end()
        if last < len(paragraph):
            out.append(paragraph[last:])
        return out

    def cited(self) -> list[str]:
        """The keys in order of first citation."""
        keys: list[str] = []
        for paragraph in self.paragraphs:
            for piece in self.pieces(paragraph):
                if isinstance(piece, list):
                    keys += [k for k in piece if k not in keys]
        return keys

    def item(self, key: str) -> dict[str, Any]:
        return next(item for item in self.items if item["id"] == key)

    def listed(self, key: str) -> bool:
        return any(item["id"] == key for item in self.items)

    def number(self, key: str) -> int:
        """A key's number in the reference list (1-based, in list order); a key the list
        lacks gets a number past its end (a typed citation of a reference nobody listed)."""
        ids = [item["id"] for item in self.items]
        if key in ids:
            return ids.index(key) + 1
        return len(ids) + 1 + [k for k in self.cited() if k not in ids].index(key)

    def key_of(self, number: int) -> str | None:
        """The key a number stands for (see :meth:`number`)."""
        return next((k for k in [*[i["id"] for i in self.items], *self.cited()]
                     if self.number(k) == number), None)


def write_markdown(spec: Spec, folder: Path, *, nocite: bool = False) -> Path:
    """``paper.md`` with its bibliography ``references.json`` beside it; ``nocite``: the
    listed works no paragraph cites are named in ``nocite`` (so that a citeproc rendering
    lists every work, as the spec's reference list does)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "references.json").write_text(json.dumps(list(spec.items), indent=1,
                                                       ensure_ascii=False), "utf-8")
    body = "\n\n".join(spec.paragraphs)
    uncited = [item["id"] for item in spec.items if item["id"] not in spec.cited()]
    extra = f"nocite: {json.dumps(' '.join('@' + k for k in uncited))}\n" if nocite and uncited else ""
    path = folder / "paper.md"
    path.write_text(f"---\ntitle: {json.dumps(spec.title)}\nbibliography: references.json\n{extra}"
                    f"---\n\n{body}\n", "utf-8")
    return path
