"""XML from outside (JATS, CSL styles, built outputs) parsed safely, in one place.

No entity expansion, no DTD loading, no network: external entities, billion-laughs
expansions and DTDs at network addresses are rejected or ignored.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from audit.errors import InputError


def parser() -> etree.XMLParser:
    """The one parser configuration for XML the project did not write itself."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse(path: Path) -> etree._ElementTree:
    """Parse the file at ``path``; missing, unreadable or malformed -> :class:`InputError`."""
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        return etree.parse(str(path), parser())
    except etree.XMLSyntaxError as exc:
        raise InputError(f"not well-formed XML: {exc.msg}", file=path, line=exc.lineno) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc})", file=path) from None
