"""A JATS (or NLM 2.x/3.0) article: its citations, and the references it carries.

Any tag set of JATS 1.x (Publishing, Archiving, Authoring) and the NLM DTDs before it:

- citations: every ``<xref ref-type="bibr">``, one per id of its ``rid`` (ids are
  separated by spaces), at the xref's line;
- references: every ``ref-list/ref`` (nested lists too), keyed by its ``@id``. An
  ``element-citation`` (or an NLM ``citation``/``nlm-citation`` with structure) becomes
  an :class:`~audit.model.Entry` whose CSL JSON item is converted from the markup; a
  ``mixed-citation`` (or a ``ref`` with text only) is a printed reference, its text read
  by :func:`~audit.inputs.reftext.parse_reference_text`;
- the title, from ``front/article-meta/title-group/article-title``.

The file is parsed by :func:`audit.safexml.parser`: no DTD is loaded and nothing is
fetched. The named entities a JATS DTD defines (``&mdash;``, ``&eacute;``...) are read
as the characters HTML5 and MathML give them (with or without a DOCTYPE); another stays as
written where a DOCTYPE names the DTD that would define it, and is an error without one. A file
that declares entities in its DOCTYPE (XXE, entity-expansion bombs) is refused.
"""

from __future__ import annotations

import codecs
import dataclasses
import html.entities
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from audit import safexml
from audit.errors import InputError
from audit.files import read_bytes
from audit.identifiers import normalize_doi, normalize_pmcid, normalize_pmid
from audit.inputs.reftext import parse_reference_text
from audit.model import Citation, Document, Entry, Manuscript, PrintedReference

__all__ = ["read"]

# JATS ``publication-type`` (and NLM ``citation-type``) -> CSL type; a CSL type name
# (pandoc writes those) is kept as it is.
PUBLICATION_TYPES = {
    "journal": "article-journal",
    "book": "book",
    "chapter": "chapter",
    "book-chapter": "chapter",
    "confproc": "paper-conference",
    "conf-proc": "paper-conference",
    "conference": "paper-conference",
    "report": "report",
    "gov": "report",
    "thesis": "thesis",
    "dissertation": "thesis",
    "web": "webpage",
    "webpage": "webpage",
    "website": "webpage",
    "preprint": "article",
    "data": "dataset",
    "dataset": "dataset",
    "database": "dataset",
    "software": "software",
    "patent": "patent",
    "standard": "standard",
    "newspaper": "article-newspaper",
    "magazine": "article-magazine",
    "commun": "personal_communication",
    "discussion": "personal_communication",
}
CSL_TYPES = frozenset({
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "classic", "collection", "dataset", "document", "entry",
    "entry-dictionary", "entry-encyclopedia", "event", "figure", "graphic", "hearing",
    "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage"
})
DEFAULT_TYPE = "article-journal"
_BOOKISH = frozenset({"book", "report", "thesis", "software", "dataset", "webpage", "patent",
                      "standard", "manuscript", "motion_picture", "pamphlet"})
# person-group-type -> CSL name variable (no type: the authors)
_ROLES = {"author": "author", "allauthors": "author", "editor": "editor", "guest-editor": "editor",
          "translator": "translator", "compiler": "compiler", "director": "director",
          "inventor": "author", "curator": "curator"}
_SKIPPED_IN_TEXT = frozenset({"xref", "fn", "label"})
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_UNIT_ENCODINGS = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_DECLARATION = re.compile(r"""\A<\?xml\b[^>]*?\?>""")
_DECLARED_ENCODING = re.compile(rb"""\A<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DECLARES_ENTITIES = ("its DOCTYPE declares entities: refused (the audit never expands entities; "
                      "remove the DOCTYPE's internal subset)")
_LABEL = re.compile(r"\s*(?:\[\d{1,5}\]|\d{1,5}[.)])\s")


# --------------------------------------------------------------------------- parsing


def _local(node: Any) -> str:
    """An element's tag without its namespace (``""`` for comments, entities...)."""
    tag = node.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _decode(data: bytes, path: Path) -> str:
    """The file's text: by its byte order mark, else its declared encoding, else UTF-8;
    bytes that are not in that encoding (or a declaration its bytes belie) are an error."""
    bom = next((name for mark, name in _BOMS if data.startswith(mark)), None)
    declared_match = _DECLARED_ENCODING.match(data.removeprefix(codecs.BOM_UTF8))
    declared = declared_match.group(1).decode("ascii") if declared_match else None
    if bom is None and data[:2] in (b"<\x00", b"\x00<"):
        bom = "utf-16-le" if data[0] else "utf-16-be"
    if declared is not None:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            raise InputError(f"declares an unknown encoding '{declared}'", file=path,
                             line=1) from None
        if bom is not None and codecs.lookup(bom).name.split("-")[:2] != codec.split("-")[:2]:
            raise InputError(f"declares encoding '{declared}' but is written in "
                             f"{bom.upper()}: correct the XML declaration", file=path, line=1)
        if bom is None and codec in _UNIT_ENCODINGS:
            raise InputError(f"declares encoding '{declared}' but is written in a one-byte "
                             "encoding: correct the XML declaration", file=path, line=1)
    encoding = bom or (codecs.lookup(declared).name if declared else "utf-8")
    if encoding != "utf-8" and bom is None and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:  # a one-byte encoding declared, and the text is UTF-8 (a mis-labelled export)
            raise InputError(f"declares encoding '{declared}' but its bytes are UTF-8: "
                             "correct the XML declaration", file=path, line=1)
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        name = "UTF-8" if encoding == "utf-8" else (declared or encoding)
        hint = ("; save the file as UTF-8 (or declare its encoding)" if encoding == "utf-8"
                else "")
        raise InputError(f"not valid {name} (byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start}){hint}", file=path, line=line) from None
    return text.removeprefix("\ufeff")


def _refuse_entity_declarations(text: str, path: Path) -> None:
    """A DOCTYPE that declares entities (an external entity's file or address, an
    expansion bomb) is refused before libxml2 sees it."""
    prolog = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    element = re.search(r"<[A-Za-z_]", prolog)
    declaration = re.search(r"<!ENTITY\b", prolog[: element.start() if element else None])
    if declaration:
        raise InputError(_DECLARES_ENTITIES, file=path,
                         line=prolog.count("\n", 0, declaration.start()) + 1)


_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})


def _character_reference(m: re.Match[str]) -> str:
    """A named entity the JATS DTD defines (``&mdash;``) as the character reference(s) it
    stands for, so that it reads with or without a DOCTYPE; any other left as written."""
    name = m.group(1)
    chars = None if name in _PREDEFINED else html.entities.html5.get(f"{name};")
    return "".join(f"&#x{ord(c):x};" for c in chars) if chars else m.group(0)


def _parse(path: Path) -> etree._Element:
    text = _decode(read_bytes(path), path)
    if not text.strip():
        raise InputError("the file is empty", file=path)
    _refuse_entity_declarations(text, path)
    text = _NAMED_ENTITY.sub(_character_reference, text)
    # parsed as UTF-8 under a declaration saying so (the one it had, on as many lines)
    text = _DECLARATION.sub(lambda m: '<?xml version="1.0" encoding="UTF-8"?>'
                            + "\n" * m.group(0).count("\n"), text, count=1)
    try:
        root = etree.fromstring(text.encode("utf-8"), safexml.parser())
    except etree.XMLSyntaxError as exc:
        message = re.sub(r",? line \d+, column \d+$", "", exc.msg or "syntax error")
        raise InputError(f"not well-formed XML: {message}", file=path, line=exc.lineno) from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise InputError(_DECLARES_ENTITIES, file=path, line=1)
    if _local(root) != "article":
        raise InputError(f"not a JATS article (root element <{_local(root)}>)", file=path,
                         line=root.sourceline)
    return root


# --------------------------------------------------------------------------- text


def _entity(node: Any) -> str:
    """An entity no table here knows (a DOCTYPE names the DTD that would): as written."""
    return f"&{node.name};"


def _children(el: Any, *names: str) -> Iterator[Any]:
    return (c for c in el if _local(c) in names)


def _child(el: Any, *names: str) -> Any:
    return next(_children(el, *names), None)


def _flatten(el: Any, parts: list[str], mixed: bool) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        if isinstance(child, etree._Entity):
            parts.append(_entity(child))
        elif _local(child) == "alternatives":  # the same thing twice: its first form
            first = next((c for c in child if _local(c)), None)
            if first is not None:
                _flatten(first, parts, mixed)
        elif _local(child) == "pub-id" and mixed:
            parts.append(_labelled_id(child, "".join(parts)))
        elif _local(child) and _local(child) not in _SKIPPED_IN_TEXT:
            _flatten(child, parts, mixed)
        if child.tail:
            parts.append(child.tail)


def _text(el: Any, *, mixed: bool = False) -> str:
    """The text of ``el`` with its markup flattened and its spaces normalised."""
    if el is None:
        return ""
    parts: list[str] = []
    _flatten(el, parts, mixed)
    return " ".join("".join(parts).split())


def _labelled_id(el: Any, before: str) -> str:
    """A ``pub-id`` inside printed text, with the label the reference parser reads it by
    (``doi:``, ``PMID:``, ``PMCID:``) when the text does not print one."""
    value = _text(el)
    kind = (el.get("pub-id-type") or "").lower()
    recent = before[-24:].lower()
    if kind == "doi" and "doi" not in recent:
        return f"doi:{value}"
    if kind == "pmid" and "pmid" not in recent:
        return f"PMID: {value}"
    if kind in ("pmcid", "pmc") and "pmc" not in recent and not value.upper().startswith("PMC"):
        return f"PMCID: PMC{value}"
    return value


# --------------------------------------------------------------------------- element-citation


def _person(el: Any) -> dict[str, str] | None:
    """A CSL name from ``name``, ``string-name``, ``collab``, ``anonymous``..."""
    kind = _local(el)
    if kind == "name-alternatives":
        first = _child(el, "name", "string-name")
        return _person(first) if first is not None else None
    if kind in ("collab", "collab-alternatives", "on-behalf-of"):
        literal = _text(el)
        return {"literal": literal} if literal else None
    if kind == "anonymous":
        return {"literal": _text(el) or "Anonymous"}
    if kind not in ("name", "string-name"):
        return None
    family, given = _text(_child(el, "surname")), _text(_child(el, "given-names"))
    if not family and not given:
        literal = _text(el)
        return {"literal": literal} if literal else None
    name = {"family": family} if family else {}
    if given:
        name["given"] = given
    if suffix := _text(_child(el, "suffix")):
        name["suffix"] = suffix
    prefix = _text(_child(el, "prefix"))
    if prefix and prefix.islower():  # a particle ("van"); a title ("Dr.") is not cited
        name["non-dropping-particle"] = prefix
    return name or None


_PERSON_TAGS = ("name", "string-name", "collab", "collab-alternatives", "name-alternatives",
                "anonymous")


def _names(citation: Any) -> dict[str, list[dict[str, str]]]:
    """CSL name lists by role: ``person-group``s, and names written straight inside the
    citation (NLM 2.x) as authors; an ``etal`` ends its list with a literal "et al."."""
    roles: dict[str, list[dict[str, str]]] = {}
    for child in citation:
        tag = _local(child)
        if tag == "person-group":
            kind = (child.get("person-group-type") or "author").lower()
            role = _ROLES.get(kind)
            if role is None:
                continue
            names = roles.setdefault(role, [])
            for member in child:
                if _local(member) == "etal":
                    names.append({"literal": "et al."})
                elif person := _person(member):
                    names.append(person)
        elif tag in _PERSON_TAGS and (person := _person(child)):
            roles.setdefault("author", []).append(person)
        elif tag == "etal":
            roles.setdefault("author", []).append({"literal": "et al."})
    return {role: names for role, names in roles.items() if names}


def _date(el: Any) -> list[int] | None:
    """``[year, month, day]`` (as far as given) from an element with ``year``/``month``/``day``."""
    year = re.search(r"\b(\d{4})", _text(_child(el, "year")))
    if not year:
        return None
    parts = [int(year.group(1))]
    month_text = _text(_child(el, "month"))
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text[:3].lower())
    if month and 1 <= month <= 12:
        parts.append(month)
        day = _text(_child(el, "day"))
        if day.isdigit() and 1 <= int(day) <= 31:
            parts.append(int(day))
    return parts


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def _kind(citation: Any) -> str:
    raw = (citation.get("publication-type") or citation.get("citation-type") or "").strip()
    if raw in CSL_TYPES:
        return raw
    return PUBLICATION_TYPES.get(raw.lower(), DEFAULT_TYPE)


def _pages(citation: Any) -> str | None:
    first, last = _text(_child(citation, "fpage")), _text(_child(citation, "lpage"))
    if first:
        return f"{first}-{last}" if last and last != first else first
    if page_range := _text(_child(citation, "page-range")):
        return re.sub(r"\s*[-–—‒−]\s*", "-", page_range)
    return _text(_child(citation, "elocation-id")) or None


def _link(el: Any) -> str:
    return (el.get(_XLINK_HREF) or _text(el)).strip()


_ID_FIELDS = {"doi": "DOI", "pmid": "PMID", "pmcid": "PMCID", "pmc": "PMCID", "isbn": "ISBN"}


def convert(citation: Any, key: str) -> dict[str, Any]:
    """The CSL JSON item of an ``element-citation`` (or a structured NLM ``citation``)."""
    item: dict[str, Any] = {"id": key, "type": _kind(citation)}
    item.update(_names(citation))
    title = next((t for t in (_text(_child(citation, n)) for n in
                              ("article-title", "chapter-title", "data-title", "part-title"))
                  if t), "")
    source = _text(_child(citation, "source"))
    if title and item["type"] == "book":  # a part of a book: a chapter
        item["type"] = "chapter"
    if title:
        item["title"] = title
        if source:
            item["container-title"] = source
    elif source and item["type"] in _BOOKISH:
        item["title"] = source
    elif source:
        item["container-title"] = source
    if date := _date(citation) or next(
            (d for el in _children(citation, "date") if (d := _date(el))), None):
        item["issued"] = {"date-parts": [date]}
    for el in _children(citation, "date-in-citation"):
        if (el.get("content-type") or "access-date") in ("access-date", "accessed") and (
                accessed := _date(el)):
            item["accessed"] = {"date-parts": [accessed]}
    for tag, field in (("volume", "volume"), ("issue", "issue"), ("edition", "edition"),
                       ("publisher-name", "publisher"), ("publisher-loc", "publisher-place"),
                       ("conf-name", "event-title"), ("isbn", "ISBN")):
        if value := _text(_child(citation, tag)):
            item.setdefault(field, value)
    if page := _pages(citation):
        item["page"] = page
    for el in _children(citation, "pub-id", "object-id"):
        kind, value = (el.get("pub-id-type") or "").lower(), _text(el)
        target = _ID_FIELDS.get(kind)
        if target and value:
            item.setdefault(target, value)
    for el in citation.iter():
        if _local(el) not in ("ext-link", "uri") or not (link := _link(el)):
            continue
        kind = (el.get("ext-link-type") or "").lower()
        doi = normalize_doi(link).doi if kind == "doi" or "doi.org/" in link.lower() else None
        if doi:  # a DOI written as a link
            item.setdefault("DOI", doi)
        else:
            item.setdefault("URL", link)
    return item


# --------------------------------------------------------------------------- mixed-citation


def printed(citation: Any, key: str, number: int, path: Path, line: int | None) -> PrintedReference:
    """A ``mixed-citation`` (or a ``ref``'s bare text) as a printed reference, numbered as
    its text is (``1.``, ``[1]``), else ``number``."""
    text = _text(citation, mixed=True)
    labelled = _LABEL.match(text + " ") is not None
    parsed = parse_reference_text(text if labelled else f"{number}. {text}")
    if parsed:
        ref = parsed[0]
    else:  # nothing to read (an empty citation): listed all the same, with the problem
        ref = PrintedReference(number, line or 0, text, {"type": DEFAULT_TYPE},
                               problems=("empty entry",))
    item = dict(ref.item, id=key)
    for el in citation.iter():
        if _local(el) != "pub-id":
            continue
        kind, value = (el.get("pub-id-type") or "").lower(), _text(el)
        if kind == "doi" and "DOI" not in item and normalize_doi(value).doi:
            item["DOI"] = value
        elif kind == "pmid" and "PMID" not in item and normalize_pmid(value):
            item["PMID"] = value
        elif kind in ("pmcid", "pmc") and "PMCID" not in item and normalize_pmcid(value):
            item["PMCID"] = value
    return dataclasses.replace(ref, number=ref.number if labelled else number, line=line or 0,
                               item=item, key=key, file=str(path), listed=True)


# --------------------------------------------------------------------------- the article


def _structured(citation: Any) -> bool:
    """An NLM ``citation``/``nlm-citation`` marked up field by field (not printed text)."""
    return _child(citation, "article-title", "source") is not None


def _reference(ref: Any, number: int, path: Path) -> Entry | PrintedReference:
    """A ``ref``: its first element citation as an entry, else its first printed one (or,
    with no citation element at all, its own text) as a printed reference."""
    key, line = ref.get("id") or f"#{number}", ref.sourceline
    candidates = []
    for child in ref:  # the forms inside a citation-alternatives are candidates too
        alternatives = _local(child) == "citation-alternatives"
        candidates += [c for c in child if _local(c)] if alternatives else [child]
    nlm = ("citation", "nlm-citation")
    element = next((c for c in candidates if _local(c) == "element-citation"
                    or (_local(c) in nlm and _structured(c))), None)
    if element is not None:
        return Entry(key=key, item=convert(element, key), file=str(path), line=line)
    mixed = next((c for c in candidates if _local(c) in ("mixed-citation", *nlm)), ref)
    label = _text(_child(ref, "label")).strip("[]().")
    return printed(mixed, key, int(label) if label.isdigit() else number, path, line)


def _title(root: Any) -> str:
    front = _child(root, "front")
    meta = _child(front, "article-meta") if front is not None else None
    group = _child(meta, "title-group") if meta is not None else None
    return _text(_child(group, "article-title")) if group is not None else ""


def _refs(root: Any) -> Iterator[Any]:
    """Every ``ref`` of every ``ref-list`` (nested lists included), in document order."""
    for el in root.iter():
        if _local(el) == "ref" and _local(el.getparent()) == "ref-list":
            yield el


def read(paths: list[Path]) -> Document:
    """The JATS article at ``paths[0]``: citations, references, title."""
    if not paths:
        raise InputError("no manuscript files given")
    path = paths[0]
    root = _parse(path)
    citations = []
    for xref in root.iter():
        if _local(xref) == "xref" and xref.get("ref-type") == "bibr":
            citations += [Citation(key=rid, file=str(path), line=xref.sourceline)
                          for rid in (xref.get("rid") or "").split()]
    metadata: dict[str, Any] = {}
    if title := _title(root):
        metadata["title"] = title
    document = Document(Manuscript(files=[path], metadata=metadata, citations=citations))
    for number, ref in enumerate(_refs(root), 1):
        reference = _reference(ref, number, path)
        if isinstance(reference, Entry):
            document.entries.append(reference)
        else:
            document.printed.append(reference)
    return document
