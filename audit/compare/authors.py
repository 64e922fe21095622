"""Authors: the same people written another way (initials, particles, diacritics, et al.),
a typo, two swapped, one missing, or other people."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rapidfuzz.distance import Levenshtein

from audit.compare.text import (
    Difference,
    Grade,
    as_text,
    compact,
    describe_difference,
    edit_budget,
    fold_letters,
    normalize_text,
    strip_markup,
    words_of,
)

# ---------------------------------------------------------------------- authors

_PARTICLES = words_of(
    "van von der den de del della dei degli di da das dos do du le la les ter ten te zu "
    "zur vom het mac st saint san santa al el bin ibn ben y"
)
_SUFFIXES = words_of("jr sr ii iii iv")
_ET_AL = frozenset({"et al", "others", "et al et al", "and others", "etal"})


def _name_parts(name: dict[str, Any]) -> tuple[str, str, str]:
    """(particles, family, given) of a CSL name, each :func:`normalize_text`-ed."""
    particles = " ".join(
        normalize_text(as_text(name.get(k))) for k in ("non-dropping-particle", "dropping-particle")
    ).strip()
    return particles, normalize_text(as_text(name.get("family"))), as_text(name.get("given"))


def _family_keys(name: dict[str, Any]) -> tuple[str, str]:
    """(full, core): the family name with particles, and without particles or suffixes."""
    particles, family, _ = _name_parts(name)
    full = f"{particles} {family}".split()
    core = family.split()
    while len(core) > 1 and core[0] in _PARTICLES:
        core = core[1:]
    while len(core) > 1 and core[-1] in _SUFFIXES:
        core = core[:-1]
    return "".join(full), "".join(core)


def _given_tokens(given: str) -> list[tuple[str, bool]]:
    """Given names as (token, abbreviated?) pairs: ``"J.W."``, ``"JW"``, ``"Jack W"``, ``"J-P"``."""
    s = fold_letters(strip_markup(given))
    tokens: list[tuple[str, bool]] = []
    for raw in re.findall(r"[^\s.\-‐–]+\.?", s):
        dotted = raw.endswith(".")
        word = raw.rstrip(".")
        if not word:
            continue
        if word.isupper() and len(word) <= 3 and word.isalpha():
            tokens.extend((ch.casefold(), True) for ch in word)
        else:
            tokens.append((word.casefold(), dotted or len(word) == 1))
    return tokens


def _givens_compatible(a: str, b: str) -> bool:
    """Initials and given names agree as far as both go (``A`` ~ ``Anderanik``, ``JW`` ~ ``Jack``)."""
    ta, tb = _given_tokens(a), _given_tokens(b)
    for (wa, abbr_a), (wb, abbr_b) in zip(ta, tb, strict=False):
        if wa == wb:
            continue
        if (abbr_a and wb.startswith(wa)) or (abbr_b and wa.startswith(wb)):
            continue
        return False
    return True


def _literal(name: dict[str, Any]) -> str:
    return normalize_text(as_text(name.get("literal")))


def _is_et_al(name: dict[str, Any]) -> bool:
    text = _literal(name) or (normalize_text(as_text(name.get("family"))) if not name.get("given") else "")
    return text in _ET_AL


def _literal_matches(literal: str, name: dict[str, Any]) -> bool:
    if name.get("literal"):
        return literal.replace(" ", "") == _literal(name).replace(" ", "")
    full, core = _family_keys(name)
    given = compact(as_text(name.get("given")))
    flat = literal.replace(" ", "")
    return flat in {full, core, given + full, full + given, given + core, core + given}


def names_match(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two CSL names denote the same person, allowing differences of style.

    Family names compare after :func:`normalize_text` (diacritics, hyphens,
    spacing) with or without their particles, wherever the particle is stored
    (``family: "van der Linden"`` ~ ``non-dropping-particle: "van der"``);
    given names may be initials of one another (``JW`` ~ ``Jack W.``,
    ``J-P`` ~ ``Jean-Pierre``) and either may lack middle names.  A
    ``literal`` name matches a literal, or family and given names run together.
    """
    if a == b:
        return True  # the common case: the same name written the same way
    if a.get("literal") or b.get("literal"):
        if a.get("literal"):
            return _literal_matches(_literal(a), b)
        return _literal_matches(_literal(b), a)
    full_a, core_a = _family_keys(a)
    full_b, core_b = _family_keys(b)
    given_a, given_b = _name_parts(a)[2], _name_parts(b)[2]
    if not (core_a or core_b):  # a mononym in ``given``, or only particles
        if full_a or full_b:
            return full_a == full_b and _givens_compatible(given_a, given_b)
        return bool(compact(given_a)) and compact(given_a) == compact(given_b)
    if full_a != full_b and core_a != core_b:
        return False
    return _givens_compatible(given_a, given_b)


def _same_family(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.get("literal") or b.get("literal"):
        return False
    full_a, core_a = _family_keys(a)
    full_b, core_b = _family_keys(b)
    return bool(core_a) and (full_a == full_b or core_a == core_b)


def _family_typo(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Family names one or two characters apart (by length), given names compatible."""
    if a.get("literal") or b.get("literal"):
        la = _literal(a) or " ".join(_name_parts(a)[1:2])
        lb = _literal(b) or " ".join(_name_parts(b)[1:2])
        n = max(len(la), len(lb))
        return 0 < Levenshtein.distance(la, lb) <= edit_budget(n)
    _, core_a = _family_keys(a)
    _, core_b = _family_keys(b)
    n = max(len(core_a), len(core_b))
    distance = Levenshtein.distance(core_a, core_b)
    return 0 < distance <= edit_budget(n) and _givens_compatible(_name_parts(a)[2], _name_parts(b)[2])


def _format_name(name: dict[str, Any]) -> str:
    if name.get("literal"):
        return as_text(name.get("literal"))
    family = " ".join(
        as_text(name.get(k))
        for k in ("dropping-particle", "non-dropping-particle", "family")
        if as_text(name.get(k))
    )
    initials = "".join(w[0].upper() for w, _ in _given_tokens(as_text(name.get("given"))) if w)
    return f"{family} {initials}".strip()


def _format_names(names: Sequence[dict[str, Any]], et_al: bool = False, limit: int = 10) -> str:
    text = ", ".join(_format_name(n) for n in names[:limit])
    if et_al or len(names) > limit:
        text += ", et al."
    return text


def _authors(item: dict[str, Any]) -> list[dict[str, Any]]:
    names = item.get("author")
    if not isinstance(names, list):
        return []
    keys = ("literal", "family", "given", "non-dropping-particle", "dropping-particle")
    return [n for n in names if isinstance(n, dict) and any(normalize_text(as_text(n.get(k))) for k in keys)]


def grade_author(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    if found.get("author") == expected.get("author"):
        return None  # the same list: every name matches itself
    f_all, e_all = _authors(found), _authors(expected)
    if not f_all or not e_all:
        return None
    f_names = [n for n in f_all if not _is_et_al(n)]
    truncated = len(f_names) < len(f_all)
    e_names = [n for n in e_all if not _is_et_al(n)]
    if not f_names or not e_names:
        return None
    issues: list[tuple[Grade, str]] = []
    substitutions = 0
    i = j = 0
    while i < len(f_names) and j < len(e_names):
        fa, ea = f_names[i], e_names[j]
        position = "first author" if j == 0 else f"author {j + 1}"
        if names_match(fa, ea):
            i, j = i + 1, j + 1
        elif _same_family(fa, ea):
            detail = f"{_format_name(fa)!r} vs {_format_name(ea)!r}: given names or initials differ"
            issues.append(("warning", f"{position}: {detail}"))
            i, j = i + 1, j + 1
        elif _family_typo(fa, ea):
            detail = describe_difference(_format_name(fa), _format_name(ea))
            issues.append(("warning", f"{position}: {detail}"))
            i, j = i + 1, j + 1
        elif (
            i + 1 < len(f_names)
            and j + 1 < len(e_names)
            and names_match(fa, e_names[j + 1])
            and names_match(f_names[i + 1], ea)
        ):
            issues.append(
                ("warning", f"authors {j + 1} and {j + 2} swapped: "
                 f"{_format_name(fa)}, {_format_name(f_names[i + 1])}")
            )  # fmt: skip
            i, j = i + 2, j + 2
        elif j + 1 < len(e_names) and names_match(fa, e_names[j + 1]):
            grade: Grade = "error" if j == 0 else "warning"
            issues.append((grade, f"{position} {_format_name(ea)!r} missing"))
            j += 1
        elif i + 1 < len(f_names) and names_match(f_names[i + 1], ea):
            grade = "error" if i == 0 else "warning"
            issues.append((grade, f"extra author {_format_name(fa)!r} before {position}"))
            i += 1
        else:
            substitutions += 1
            grade = "error" if j == 0 else "warning"
            what = "different first author" if j == 0 else f"{position} differs"
            issues.append((grade, f"{what}: {_format_name(fa)!r} vs {_format_name(ea)!r}"))
            i, j = i + 1, j + 1
    if i < len(f_names):
        extra = ", ".join(_format_name(n) for n in f_names[i:])
        issues.append(("warning", f"{len(f_names) - i} extra author(s) after the last expected: {extra}"))
    if j < len(e_names) and not truncated:
        missing = ", ".join(_format_name(n) for n in e_names[j:][:3])
        more = ", …" if len(e_names) - j > 3 else ""
        issues.append(
            ("warning",
             f"lists {len(f_names)} of {len(e_names)} authors without 'et al.' "
             f"(missing {missing}{more})")
        )  # fmt: skip
    compared = min(len(f_names), len(e_names))
    if substitutions >= 2 and substitutions * 2 > compared:
        issues.insert(0, ("error", f"{substitutions} of {compared} authors differ"))
    if not issues:
        return None
    grade = "error" if any(g == "error" for g, _ in issues) else "warning"
    shown = e_names if truncated else e_all
    return Difference(
        "author",
        grade,
        _format_names(shown),
        _format_names(f_names, et_al=truncated),
        "; ".join(text for _, text in issues),
    )


