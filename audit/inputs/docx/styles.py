"""Word's styles (``word/styles.xml``) and the formatting properties read through them.

A run or a paragraph is superscript, bold, a heading (an outline level) or a list item
by its own properties or, when it has none, by its style's, inherited through
``w:basedOn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class _Style:
    name: str
    based_on: str | None
    superscript: bool | None
    bold: bool | None
    outline: bool | None
    numbered: bool | None


def on(el: Any, w: str) -> bool | None:
    """A toggle property (``w:b``…): None if absent."""
    if el is None:
        return None
    return (el.get(f"{w}val") or "true").lower() not in ("0", "false", "off", "none")


def superscript(rpr: Any, w: str) -> bool | None:
    """Whether run properties ``rpr`` raise the text (``w:vertAlign``): None if unsaid."""
    el = rpr.find(f"{w}vertAlign") if rpr is not None else None
    return None if el is None else el.get(f"{w}val") == "superscript"


def numbered(ppr: Any, w: str) -> bool | None:
    """Whether paragraph properties ``ppr`` make a list item (``w:numPr``): None if unsaid."""
    num = ppr.find(f"{w}numPr") if ppr is not None else None
    if num is None:
        return None
    num_id = num.find(f"{w}numId")
    return num_id is None or num_id.get(f"{w}val") != "0"


def outline(ppr: Any, w: str) -> bool:
    """Whether paragraph properties ``ppr`` give an outline level (a heading's)."""
    el = ppr.find(f"{w}outlineLvl") if ppr is not None else None
    return el is not None and (el.get(f"{w}val") or "9").isdecimal() and int(el.get(f"{w}val")) < 9


class Styles:
    """The styles of a document, by id."""

    def __init__(self, root: Any, w: str):
        self.by_id: dict[str, _Style] = {}
        for st in root.iter(f"{w}style") if root is not None else ():
            name = st.find(f"{w}name")
            based = st.find(f"{w}basedOn")
            rpr, ppr = st.find(f"{w}rPr"), st.find(f"{w}pPr")
            self.by_id[st.get(f"{w}styleId") or ""] = _Style(
                (name.get(f"{w}val") if name is not None else st.get(f"{w}styleId")) or "",
                based.get(f"{w}val") if based is not None else None,
                superscript(rpr, w), on(rpr.find(f"{w}b") if rpr is not None else None, w),
                outline(ppr, w) or None, numbered(ppr, w))

    def get(self, style_id: str | None, attr: str) -> Any:
        """``attr`` of a style, inherited through ``basedOn``."""
        seen = 0
        while style_id and style_id in self.by_id and seen < 10:
            style = self.by_id[style_id]
            value = getattr(style, attr)
            if value is not None:
                return value
            style_id, seen = style.based_on, seen + 1
        return None

    def name(self, style_id: str | None) -> str:
        """A style's name, lower case (its id if it has none)."""
        style = self.by_id.get(style_id or "")
        return (style.name if style else style_id or "").lower()
