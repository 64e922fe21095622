"""Names as reference lists and PubMed write them: initials, suffixes, author lists.

One rule for every reader of names (a printed reference list, PubMed's ``Family AB``),
so that ``JW``, ``J.W.`` and ``J-P`` are initials wherever they are read; and the
author block of a printed (Vancouver/NLM) reference read into CSL names, group
authors (``SPINE Study Group``) and "et al." included.
"""

from __future__ import annotations

import re

SUFFIXES = frozenset({"Jr", "Sr", "II", "III", "IV", "2nd", "3rd"})


def is_suffix(token: str) -> bool:
    """``Jr``, ``Jr.``, ``III``…: a generational suffix, not a name or initials."""
    return token.rstrip(".") in SUFFIXES


def is_initials(token: str) -> bool:
    """One to four capital initials, with or without dots and hyphens (``JW``, ``J.W.``, ``J-P``)."""
    letters = token.replace(".", "").replace("-", "")
    return 0 < len(letters) <= 4 and letters.isalpha() and letters.isupper()


_PARTICLES = frozenset(
    {
        "van", "von", "der", "den", "de", "del", "della", "dela", "di", "da", "du", "dos", "das",
        "do", "la", "le", "ter", "ten", "te", "op", "het", "zu", "bin", "ibn", "al", "el", "y",
        "st", "st.", "ste", "ste.", "mac"
    }
)
_GROUP_WORDS = frozenset(
    {
        "group", "groups", "society", "association", "institute", "network", "committee",
        "council", "organization", "organisation", "collaboration", "collaborative", "consortium",
        "investigators", "panel", "panels", "team", "agency", "foundation", "college", "academy",
        "centre", "center", "department", "ministry", "service", "services", "national", "world",
        "american", "european", "international", "working", "study", "trial", "trialists",
        "program", "programme", "board", "force", "writing", "research", "cancer", "health",
        "website"
    }
)
_ET_AL = re.compile(r"(?i)et\.?\s*al\.?|and others|and colleagues")
_LEAD = re.compile(r"(?i)^(?:and|&|for the|on behalf of(?: the)?)\s+")
_BOUNDARY = re.compile(r"\.(?=\s|$)")
_MORE_AUTHORS = re.compile(r"(?:[A-Z]\.|and\b|&|et\.? al\b|[,;])")


def _person(piece: str) -> dict[str, str] | None:
    """``{"family", "given"}`` for ``Surname AB`` / ``Surname A.B.``, else None."""
    tokens = piece.split()
    suffix = tokens.pop() if len(tokens) > 2 and is_suffix(tokens[-1]) else None
    initials: list[str] = []
    while len(tokens) > 1 and is_initials(tokens[-1]) and len(initials) < 4:
        initials.insert(0, tokens.pop())
    given = "".join(initials).replace(".", "")
    if not initials or len(given.replace("-", "")) > 4 or len(tokens) > 4:
        return None
    for tok in tokens:
        low = tok.lower()
        if low in _GROUP_WORDS:
            return None
        if low in _PARTICLES:
            continue
        core = tok.replace("-", "").replace("'", "").replace("’", "")
        if not core.isalpha() or not (tok[0].isupper() or re.match(r"[a-z][’']", tok)):
            return None
    name = {"family": " ".join(tokens), "given": given}
    if suffix:
        name["suffix"] = suffix.rstrip(".")
    return name


def author_list(block: str) -> tuple[list[dict[str, str]], bool]:
    """Persons and group authors of an author (or editor) list, and whether it ends "et al."."""
    names: list[dict[str, str]] = []
    et_al = False
    group: list[str] = []

    def flush() -> None:
        if group:
            names.append({"literal": _LEAD.sub("", ", ".join(group)).strip(" .")})
            group.clear()

    pieces = [p.strip() for p in re.split(r"\s*[,;]\s*", block) if p.strip(" .")]
    for i, piece in enumerate(pieces):
        bare = _LEAD.sub("", piece).strip()
        if _ET_AL.fullmatch(bare):
            et_al = True
            continue
        # "Smith, A.B." (comma between surname and initials)
        if is_initials(bare) and group and len(group[-1].split()) == 1 and i > 0:
            group[-1] = f"{group[-1]} {bare}"
            if (person := _person(group[-1])) is not None:
                group.pop()
                flush()
                names.append(person)
            continue
        subs = re.split(r"\s+(?:and|&)\s+", bare)
        people = [_person(s.strip(" .")) for s in subs]
        if all(people):
            flush()
            names.extend(p for p in people if p)
        else:
            group.append(piece)
    flush()
    return names, et_al


def _author_block_end(text: str) -> int | None:
    """Index of the full stop that ends the author block, or None."""
    for m in _BOUNDARY.finditer(text):
        before = text[: m.start()].rsplit(None, 1)
        if before and before[-1].lower() in {"st", "ste"}:
            continue
        if _MORE_AUTHORS.match(text, m.end() + 1):
            continue
        return m.start()
    return None


def parse_authors(text: str) -> tuple[list[dict[str, str]], bool, str]:
    """``(names, et_al, rest)`` for the author block at the start of ``text``."""
    end = _author_block_end(text)
    if end is None:
        return [], False, text
    names, et_al = author_list(text[:end])
    return names, et_al, text[end + 1:].strip()


def group_sentence(text: str) -> tuple[str, str] | None:
    """A group author printed as its own sentence after the authors (``… investigators.``)."""
    m = re.search(r"\.\s", text)
    if not m:
        return None
    sentence = text[: m.start()]
    words = _LEAD.sub("", sentence).split()
    capitalised = sum(1 for w in words if w[:1].isupper() or w[:1] == "(")
    if 1 < len(words) <= 15 and words[-1].lower() in _GROUP_WORDS and capitalised * 2 >= len(words):
        return _LEAD.sub("", sentence).strip(), text[m.end():].strip()
    return None
