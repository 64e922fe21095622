"""Graded field-by-field comparison of a bibliography entry with the registrar's record.

:func:`compare_works` compares ``found`` (the manuscript's CSL JSON item, or a
parsed printed reference) with ``expected`` (the registrar's CSL JSON record)
and returns one :class:`Difference` per field that really differs:

* **no finding** for differences of style: case, punctuation, whitespace,
  markup and entities, diacritics, dashes, ``&``/``and``, full vs abbreviated
  journal names (ISO 4 / NLM), abbreviated page ranges, initials vs given
  names, name particles, an author list truncated with *et al.*;
* ``"warning"`` for typo-level differences: a character or two in a name, a
  few edits in a title, a missing or extra subtitle, a year off by one, a
  different last page, two adjacent authors swapped, a missing author;
* ``"error"`` for substantive differences that suggest the wrong work (or the
  wrong DOI): a clearly different title, first author, journal, volume or
  first page, or a year off by two or more.

A field that is absent or empty on either side is not compared.  The building
blocks (:func:`normalize_text`, :func:`expand_page_range`, :func:`names_match`,
:func:`journal_matches`, :func:`title_similarity`, :func:`year_of`) are public.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from typing import Any, Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

__all__ = [
    "FIELDS",
    "Difference",
    "compare_works",
    "expand_page_range",
    "journal_matches",
    "names_match",
    "normalize_text",
    "title_similarity",
    "year_of",
]

FIELDS: tuple[str, ...] = ("title", "author", "year", "container", "volume", "issue", "page")

Grade = Literal["warning", "error"]


@dataclass(frozen=True)
class Difference:
    """One field that differs: ``grade`` is ``"warning"`` (typo-level) or ``"error"``."""

    field: str
    grade: Grade
    expected: str
    found: str
    detail: str


# ------------------------------------------------------------------ text basics

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:_-]*(?:\s[^<>]*)?/?>")
_SPECIAL_LETTERS = str.maketrans(
    {
        "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss",
        "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th",
        "Þ": "TH", "ı": "i", "ħ": "h", "Ħ": "H", "ŀ": "l", "Ŀ": "L",
    }
)  # fmt: skip
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu",
    "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma", "τ": "tau",
    "υ": "upsilon", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
}  # fmt: skip
_GREEK_RE = re.compile("|".join(_GREEK))
_NON_WORD = re.compile(r"[\W_]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _text(value: Any) -> str:
    """A CSL value as one string (lists take their first non-empty element)."""
    if type(value) is str:
        return value.strip()  # the common case, first
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        for item in value:
            text = _text(item)
            if text:
                return text
        return ""
    return str(value).strip()


def _texts(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [t for v in value if (t := _text(v))]
    text = _text(value)
    return [text] if text else []


def strip_markup(s: str) -> str:
    """Remove HTML/JATS/MathML tags and decode entities (twice, for ``&amp;amp;``)."""
    s = _TAG.sub("", s)
    return html.unescape(html.unescape(s))


def fold_letters(s: str) -> str:
    """Strip diacritics (Ståhl → Stahl, Gonçalves → Goncalves, ø → o, æ → ae, ß → ss)."""
    if s.isascii():
        return s  # nothing to fold (the common case, and the hot path on large bibliographies)
    s = s.translate(_SPECIAL_LETTERS)
    decomposed = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=65536)
def _normalize_str(s: str) -> str:
    s = strip_markup(s)
    s = fold_letters(fold_letters(s.casefold()).casefold())
    s = _GREEK_RE.sub(lambda m: f" {_GREEK[m.group(0)]} ", s)
    s = s.replace("&", " and ")
    return _NON_WORD.sub(" ", s).strip()


def normalize_text(s: str) -> str:
    """Canonical form for comparing human-written text.

    Strips markup and entities, folds diacritics, spells out Greek letters,
    casefolds, reads ``&`` as ``and``, and turns every run of punctuation,
    dashes and whitespace into one space.  Idempotent.
    """
    return _normalize_str(_text(s))


def _compact(s: str) -> str:
    return normalize_text(s).replace(" ", "")


def _edit_budget(length: int) -> int:
    """Character edits still typo-level for a word or name of ``length`` characters."""
    if length < 5:
        return 0
    return 1 if length < 8 else 2


# ------------------------------------------------------------- human-readable diffs


def _quote(s: str, limit: int = 80) -> str:
    return repr(s if len(s) <= limit else s[: limit - 1] + "…")


def _char_edits(found: str, expected: str) -> list[str] | None:
    """Describe how ``found`` differs from ``expected`` character by character, if briefly."""
    ops = SequenceMatcher(None, found, expected, autojunk=False).get_opcodes()
    parts: list[str] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        if max(i2 - i1, j2 - j1) > 6:
            return None
        if tag == "insert":
            parts.append(f"missing {expected[j1:j2]!r}")
        elif tag == "delete":
            parts.append(f"extra {found[i1:i2]!r}")
        else:
            parts.append(f"{found[i1:i2]!r} instead of {expected[j1:j2]!r}")
    return parts if len(parts) <= 3 else None


def _word_diff(found: str, expected: str) -> str:
    """Compact word diff: ``[-found words][+expected words]`` with long equal runs elided."""
    fw, ew = found.split(), expected.split()
    out: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, fw, ew, autojunk=False).get_opcodes():
        if tag == "equal":
            run = fw[i1:i2]
            out.append(" ".join(run if len(run) <= 6 else [*run[:3], "…", *run[-3:]]))
            continue
        if i2 > i1:
            out.append("[-" + " ".join(fw[i1:i2]) + "]")
        if j2 > j1:
            out.append("[+" + " ".join(ew[j1:j2]) + "]")
    return " ".join(out)


def describe_difference(found: str, expected: str) -> str:
    """A short explanation of exactly what differs between two strings.

    Small differences are spelled out per character
    (``'Spin' vs 'Spine': 1 character differs (missing 'e')``); larger ones as a
    word diff.  When the raw strings differ also in case or punctuation, the
    comparison is made on :func:`normalize_text` forms and says so.
    """
    a, b, note = found, expected, ""
    if Levenshtein.distance(found, expected) > Levenshtein.distance(
        normalize_text(found), normalize_text(expected)
    ) and normalize_text(found) != normalize_text(expected):
        a, b, note = normalize_text(found), normalize_text(expected), " (ignoring case and punctuation)"
    distance = Levenshtein.distance(a, b)
    edits = _char_edits(a, b)
    if edits is not None and distance:
        noun = "1 character differs" if distance == 1 else f"{distance} characters differ"
        return f"{_quote(found)} vs {_quote(expected)}: {noun}{note} ({', '.join(edits)})"
    return f"found vs expected{note}: {_word_diff(a, b)}"


# ----------------------------------------------------------------------- titles

_SUBTITLE_SEP = re.compile(r"\s*(?::|\.|\?|!|;|\s[-–—]|--)\s+")


def _title_variants(item: dict[str, Any]) -> list[str]:
    title = _text(item.get("title"))
    if not title:
        return []
    variants = [title]
    subtitle = _text(item.get("subtitle"))
    if subtitle and normalize_text(subtitle) not in normalize_text(title):
        variants.append(f"{title}: {subtitle}")
    return variants


def _title_prefixes(title: str) -> list[str]:
    """The title cut at each subtitle separator (``Main: Sub`` → ``['Main']``)."""
    return [title[: m.start()] for m in _SUBTITLE_SEP.finditer(title) if m.start() > 0]


def title_similarity(a: str, b: str) -> float:
    """Similarity of two titles in [0, 1], ignoring case, markup, punctuation and spacing."""
    na, nb = normalize_text(a), normalize_text(b)
    if na.replace(" ", "") == nb.replace(" ", ""):
        return 1.0
    return fuzz.ratio(na, nb) / 100.0


def _titles_close(na: str, nb: str) -> bool:
    """Typo-level: a few characters, a couple of words out of many, or ≥ 90 % similar."""
    if na.replace(" ", "") == nb.replace(" ", ""):
        return True
    chars = Levenshtein.distance(na, nb)
    words_a, words_b = na.split(), nb.split()
    words = Levenshtein.distance(words_a, words_b)
    longest = max(len(words_a), len(words_b), 1)
    return (
        chars <= 3
        or (words <= 2 and words / longest <= 0.25)
        or (fuzz.ratio(na, nb) >= 90 and words / longest <= 0.34)
    )


def _grade_title(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    if found.get("title") == expected.get("title"):
        return None  # the same title (whatever the subtitle: a missing one is no finding)
    f_title = _text(found.get("title"))
    variants = _title_variants(expected)
    if not f_title or not variants:
        return None
    nf = normalize_text(f_title)
    if not nf:
        return None
    compact = nf.replace(" ", "")
    if any(normalize_text(v).replace(" ", "") == compact for v in variants):
        return None
    e_title = variants[0]
    ne = normalize_text(e_title)
    if not ne:
        return None

    def diff(grade: Grade, detail: str) -> Difference:
        return Difference("title", grade, e_title, f_title, detail)

    for variant in variants:
        for prefix in _title_prefixes(variant):
            if _titles_close(nf, normalize_text(prefix)):
                return diff("warning", f"subtitle missing: {describe_difference(f_title, variant)}")
    for prefix in _title_prefixes(f_title):
        if any(_titles_close(normalize_text(prefix), normalize_text(v)) for v in variants):
            return diff("warning", f"extra subtitle: {describe_difference(f_title, e_title)}")
    best = max(variants, key=lambda v: title_similarity(f_title, v))
    if _titles_close(nf, normalize_text(best)):
        return Difference("title", "warning", best, f_title, describe_difference(f_title, best))
    similarity = title_similarity(f_title, e_title)
    return diff("error", f"different title ({similarity:.0%} similar): {_word_diff(nf, ne)}")


# ---------------------------------------------------------------------- authors

_PARTICLES = _words(
    "van von der den de del della dei degli di da das dos do du le la les ter ten te zu "
    "zur vom het mac st saint san santa al el bin ibn ben y"
)
_SUFFIXES = _words("jr sr ii iii iv")
_ET_AL = frozenset({"et al", "others", "et al et al", "and others", "etal"})


def _name_parts(name: dict[str, Any]) -> tuple[str, str, str]:
    """(particles, family, given) of a CSL name, each :func:`normalize_text`-ed."""
    particles = " ".join(
        normalize_text(_text(name.get(k))) for k in ("non-dropping-particle", "dropping-particle")
    ).strip()
    return particles, normalize_text(_text(name.get("family"))), _text(name.get("given"))


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
    return normalize_text(_text(name.get("literal")))


def _is_et_al(name: dict[str, Any]) -> bool:
    text = _literal(name) or (normalize_text(_text(name.get("family"))) if not name.get("given") else "")
    return text in _ET_AL


def _literal_matches(literal: str, name: dict[str, Any]) -> bool:
    if name.get("literal"):
        return literal.replace(" ", "") == _literal(name).replace(" ", "")
    full, core = _family_keys(name)
    given = _compact(_text(name.get("given")))
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
        return bool(_compact(given_a)) and _compact(given_a) == _compact(given_b)
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
        return 0 < Levenshtein.distance(la, lb) <= _edit_budget(n)
    _, core_a = _family_keys(a)
    _, core_b = _family_keys(b)
    n = max(len(core_a), len(core_b))
    distance = Levenshtein.distance(core_a, core_b)
    return 0 < distance <= _edit_budget(n) and _givens_compatible(_name_parts(a)[2], _name_parts(b)[2])


def _format_name(name: dict[str, Any]) -> str:
    if name.get("literal"):
        return _text(name.get("literal"))
    family = " ".join(
        _text(name.get(k))
        for k in ("dropping-particle", "non-dropping-particle", "family")
        if _text(name.get(k))
    )
    initials = "".join(w[0].upper() for w, _ in _given_tokens(_text(name.get("given"))) if w)
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
    return [n for n in names if isinstance(n, dict) and any(normalize_text(_text(n.get(k))) for k in keys)]


def _grade_author(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
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


# ------------------------------------------------------------------------- year

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?!\d)")


def _date_year(date: Any) -> int | None:
    if isinstance(date, dict):
        parts = date.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            try:
                return int(str(parts[0][0]).strip())
            except ValueError:
                pass
        for key in ("literal", "raw", "season"):
            if date.get(key):
                return _date_year(str(date[key]))
        return None
    if isinstance(date, int) and not isinstance(date, bool):
        return date
    if isinstance(date, str):
        m = _YEAR.search(date)
        return int(m.group(1)) if m else None
    return None


def year_of(item: dict[str, Any]) -> int | None:
    """The year of publication: ``issued`` (date-parts, literal or raw), else a ``year`` key."""
    for key in ("issued", "year"):
        year = _date_year(item.get(key))
        if year is not None:
            return year
    return None


def _grade_year(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    f_year = year_of(found)
    e_year = year_of(expected)
    if f_year is None or e_year is None:
        return None
    candidates = {e_year}
    for key in ("published-print", "published-online", "original-date"):
        year = _date_year(expected.get(key))
        if year is not None:
            candidates.add(year)
    if f_year in candidates:
        return None
    off = min(abs(f_year - y) for y in candidates)
    if off == 1:
        return Difference(
            "year", "warning", str(e_year), str(f_year),
            f"{f_year} vs {e_year}: off by one year (online vs print publication?)",
        )  # fmt: skip
    return Difference("year", "error", str(e_year), str(f_year), f"{f_year} vs {e_year}: off by {off} years")


# ---------------------------------------------------------------------- journals

_STOP = _words(
    "the of and for in on at to a an de la le les des du der die das und fur et y el del di della e i"
)
_CONTRACTIONS = {
    "natl": "national", "jpn": "jap", "dtsch": "deutsch", "mgmt": "management",
    "assn": "association", "ctr": "cent", "intl": "international", "dept": "department",
    "govt": "government", "hlth": "health", "qtly": "quarterly", "bldg": "building",
    "zbl": "zentralblatt", "yrbk": "yearbook",
}  # fmt: skip
_ISSN = re.compile(r"^\d{4}-?\d{3}[\dX]$", re.IGNORECASE)
_PAREN = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_INF = 10**6
_JOURNAL_KEYS = ("container-title", "container-title-short", "journalAbbreviation")


def _journal_names(item: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for key in _JOURNAL_KEYS:
        for text in _texts(item.get(key)):
            if text not in names:
                names.append(text)
    return names


def _issns(item: dict[str, Any]) -> set[str]:
    values = _texts(item.get("ISSN")) + _texts(item.get("ISSN-L"))
    out = set()
    for value in values:
        for part in re.split(r"[,;\s]+", value):
            if _ISSN.match(part):
                compact = part.replace("-", "").upper()
                out.add(compact)
    return out


def _tokens(name: str) -> tuple[str, ...]:
    return tuple(normalize_text(name).split())


def _significant(tokens: Sequence[str]) -> list[str]:
    return [t for t in tokens if t not in _STOP]


def _token_cost(abbr: str, full: str, fuzzy: bool) -> int:
    """0 if ``abbr`` abbreviates ``full``, else the typo edits needed (``_INF`` if too many).

    An abbreviation is the word itself, a prefix dropping at least two letters
    (ISO 4 leaves a word whole rather than drop one letter, so ``Spin`` is not
    ``Spine``), or a known contraction such as ``Natl``.
    """
    if abbr == full or (full.startswith(abbr) and len(full) - len(abbr) >= 2):
        return 0
    expansion = _CONTRACTIONS.get(abbr)
    if expansion and full.startswith(expansion):
        return 0
    if not fuzzy or len(abbr) < 4:
        return _INF
    budget = 1 if len(abbr) < 8 else 2
    lengths = [
        n
        for n in range(max(1, len(abbr) - budget), min(len(full), len(abbr) + budget) + 1)
        if n == len(full) or n <= len(full) - 2
    ]
    best = min((Levenshtein.distance(abbr, full[:n], score_cutoff=budget) for n in lengths), default=_INF)
    return best if best <= budget else _INF


def _abbreviation_cost(abbr: tuple[str, ...], full: tuple[str, ...], fuzzy: bool) -> int:
    """Edits for ``abbr`` to be an ISO 4 / NLM abbreviation of ``full`` (0 = exact).

    Each abbreviated word is a prefix of the corresponding full word (or a
    known contraction such as ``Natl``); stop words of ``full`` may be dropped;
    a compound abbreviation may run a full word into the next one
    (``Neurooncol`` ~ ``Neuro-Oncology``).  With ``fuzzy``, words may carry a
    typo and a missing space counts as one edit.  A single-word title is
    never abbreviated (ISO 4), so it must match exactly.
    """
    if not abbr or not full:
        return _INF
    if len(_significant(full)) <= 1:
        if abbr == tuple(t for t in full if t not in _STOP) or abbr == full:
            return 0
        return _INF

    @cache
    def go(i: int, j: int, rest: str) -> int:
        token = rest or (abbr[i] if i < len(abbr) else "")
        if i >= len(abbr):
            return 0 if all(t in _STOP for t in full[j:]) else _INF
        if j >= len(full):
            return _INF
        best = go(i, j + 1, rest) if full[j] in _STOP else _INF
        word = full[j]
        cost = _token_cost(token, word, fuzzy)
        if cost < _INF:
            best = min(best, cost + go(i + 1, j + 1, ""))
        if fuzzy and not rest:
            for k in range(2, len(token) - 1):
                head = _token_cost(token[:k], word, fuzzy=False)
                if head == 0:
                    best = min(best, 1 + go(i, j + 1, token[k:]))
        return best

    return go(0, 0, "")


def _acronym_matches(found: str, names: Sequence[str]) -> bool:
    """An all-capitals acronym (``AJNR``, ``BMJ``) for a journal or its NLM short title."""
    raw = found.strip().strip(".")
    if not re.fullmatch(r"[A-Z]{2,8}", raw):
        return False
    acronym = raw.casefold()
    for name in names:
        tokens = _tokens(name)
        if not tokens:
            continue
        if re.match(r"[A-Z]{2,8}\b", name.strip()) and tokens[0] == acronym:
            return True
        words = [t for t in tokens if t not in _STOP or t == tokens[0]]
        if len(acronym) >= 3 and "".join(t[0] for t in words) == acronym:
            return True
    return False


def _name_variants(name: str) -> list[tuple[str, ...]]:
    """Token forms of a journal name: as given, without parentheticals, without a leading acronym."""
    variants = [_tokens(name)]
    without_paren = _tokens(_PAREN.sub("", name))
    if without_paren and without_paren not in variants:
        variants.append(without_paren)
    glued = _tokens(re.sub(r"(?<=\w)[-‐‑–/](?=\w)", "", name))
    if glued not in variants:
        variants.append(glued)  # Neuro-Oncology ~ Neurooncology, so Neurooncol abbreviates it
    raw_words = name.split()
    if len(raw_words) > 1 and re.fullmatch(r"[A-Z]{2,8}", raw_words[0]):
        variants.append(_tokens(" ".join(raw_words[1:])))
    return [v for v in variants if v]


def _strip_the(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tokens[1:] if len(tokens) > 1 and tokens[0] == "the" else tokens


def _journal_cost(found: str, names: Sequence[str], fuzzy: bool) -> int:
    """Smallest edit cost for ``found`` to be (an abbreviation of) one of ``names``."""
    best = _INF
    for f_tokens in _name_variants(found):
        for name in names:
            for e_tokens in _name_variants(name):
                a, b = _strip_the(f_tokens), _strip_the(e_tokens)
                if a == b:
                    return 0
                best = min(best, _abbreviation_cost(a, b, fuzzy), _abbreviation_cost(b, a, fuzzy))
                if fuzzy:
                    sa, sb = " ".join(a), " ".join(b)
                    distance = Levenshtein.distance(sa, sb)
                    if distance <= _edit_budget(max(len(sa), len(sb))):
                        best = min(best, distance)
                if best == 0:
                    return 0
    return best


def journal_matches(found: str, expected_record: dict[str, Any]) -> bool:
    """Whether the journal name ``found`` names the journal of ``expected_record``.

    Compares with the record's ``container-title``, ``container-title-short``
    and ``journalAbbreviation``; accepts ISO 4 / NLM abbreviations (see
    :func:`_abbreviation_cost`), a leading "The", a parenthetical qualifier
    (``Spine (Phila Pa 1976)`` ~ ``Spine``), an acronym such as ``AJNR`` for
    ``AJNR Am J Neuroradiol``, and an ISSN equal to one of the record's.
    Typos are not accepted: they are graded by :func:`compare_works`.
    """
    found = strip_markup(_text(found))
    if not found:
        return False
    if _ISSN.match(found.strip()):
        return found.strip().replace("-", "").upper() in _issns(expected_record)
    names = _journal_names(expected_record)
    if not names:
        return False
    if _acronym_matches(found, names):
        return True
    return _journal_cost(found, names, fuzzy=False) == 0


def _plain(text: str) -> bool:
    """No markup and no entities: :func:`strip_markup` leaves ``text`` as it is."""
    return "<" not in text and "&" not in text


def _grade_container(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    if all(found.get(k) == expected.get(k) for k in _JOURNAL_KEYS) and all(
        _plain(name) for name in _journal_names(found)
    ):
        return None  # the same names: the first one matches itself (markup could be read twice)
    f_names = [n for n in _journal_names(found) if normalize_text(n)]
    e_names = [n for n in _journal_names(expected) if normalize_text(n)]
    if not f_names or not e_names:
        return None
    if any(journal_matches(name, expected) for name in f_names):
        return None
    f_name, e_title = f_names[0], e_names[0]
    same_issn = bool(_issns(found) & _issns(expected))
    cost = min(_journal_cost(strip_markup(name), e_names, fuzzy=True) for name in f_names)
    if cost == 0:
        return None
    if cost <= 2:
        closest = min(
            e_names,
            key=lambda e: Levenshtein.distance(normalize_text(f_name), normalize_text(e)),
        )
        detail = describe_difference(f_name, closest)
        if Levenshtein.distance(normalize_text(f_name), normalize_text(closest)) > 2:
            edits = "1 edit" if cost == 1 else f"{cost} edits"
            detail = (
                f"{_quote(f_name)} vs {_quote(closest)}: "
                f"an abbreviation with {edits} (a typo or a missing space)"
            )
        return Difference("container", "warning", e_title, f_name, detail)
    if same_issn:
        return None  # same ISSN: an abbreviation style we do not recognise
    return Difference(
        "container", "error", e_title, f_name,
        f"different journal: {_quote(f_name)} vs {' / '.join(map(_quote, e_names))}",
    )  # fmt: skip


# --------------------------------------------------------------- volume, issue

_LEADING_NUMBER = re.compile(r"\d+")


def _norm_number(value: str) -> str:
    text = normalize_text(value)
    text = re.sub(r"^(?:vol(?:ume)?|no|number|issue)\s+", "", text)
    return " ".join(str(int(t)) if t.isdigit() else t for t in text.split())


def _first_number(value: str) -> str | None:
    m = _LEADING_NUMBER.search(value)
    return str(int(m.group(0))) if m else None


def _grade_volume(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    if found.get("volume") == expected.get("volume"):
        return None
    f_vol, e_vol = _text(found.get("volume")), _text(expected.get("volume"))
    if not _norm_number(f_vol) or not _norm_number(e_vol) or _norm_number(f_vol) == _norm_number(e_vol):
        return None
    if _first_number(f_vol) is not None and _first_number(f_vol) == _first_number(e_vol):
        return Difference(
            "volume", "warning", e_vol, f_vol,
            f"volume {f_vol!r} vs {e_vol!r}: same number, different qualifier",
        )  # fmt: skip
    return Difference("volume", "error", e_vol, f_vol, f"different volume: {f_vol!r} vs {e_vol!r}")


def _first_pages_agree(found: dict[str, Any], expected: dict[str, Any]) -> bool:
    f_page, e_page = _page_of(found), _page_of(expected)
    if not f_page or not e_page:
        return False
    return expand_page_range(f_page)[0].casefold() == expand_page_range(e_page)[0].casefold()


def _grade_issue(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    """Issue numbers: a warning when volume and first page agree, an error otherwise.

    Issue numbers are the least reliable part of a reference (supplements,
    combined issues, continuous pagination, print vs online issues) and the
    volume together with the first page already identifies the article, so a
    different issue there is a typo-level problem.  Without that corroboration
    a different issue may mean a different article, hence an error.
    """
    if found.get("issue") == expected.get("issue"):
        return None
    f_issue, e_issue = _text(found.get("issue")), _text(expected.get("issue"))
    if not _norm_number(f_issue) or not _norm_number(e_issue):
        return None
    if _norm_number(f_issue) == _norm_number(e_issue):
        return None
    f_vol, e_vol = _text(found.get("volume")), _text(expected.get("volume"))
    corroborated = (
        bool(f_vol and e_vol)
        and _norm_number(f_vol) == _norm_number(e_vol)
        and _first_pages_agree(found, expected)
    )
    if corroborated:
        return Difference(
            "issue", "warning", e_issue, f_issue,
            f"issue {f_issue!r} vs {e_issue!r} (volume and first page agree)",
        )  # fmt: skip
    return Difference(
        "issue", "error", e_issue, f_issue,
        f"different issue: {f_issue!r} vs {e_issue!r} (volume and first page do not both agree)",
    )  # fmt: skip


# ------------------------------------------------------------------------ pages

_PAGE_PART = re.compile(r"^([A-Za-z]*)(\d+)([A-Za-z]*)$")
_DASHES = re.compile(r"\s*(?:[-‐‑‒–—―−]+|\bto\b)\s*")


def _page_of(item: dict[str, Any]) -> str:
    return _text(item.get("page")) or _text(item.get("page-first"))


def expand_page_range(s: str) -> tuple[str, str | None]:
    """Split a page range into (first, last), expanding abbreviated last pages.

    A shorter last number borrows the leading digits of the first
    (``1067-75`` → ``('1067', '1075')``, ``1067-107`` → ``('1067', '1107')``)
    and a missing letter prefix is copied (``e597-605`` → ``('e597', 'e605')``,
    ``S347-64`` → ``('S347', 'S364')``).  A single page gives ``(page, None)``;
    only the first range of a list (``1-5, 9``) is used.  Idempotent:
    expanding ``f"{first}-{last}"`` gives the same pair.
    """
    text = _text(s)
    text = re.sub(r"^(?:pp?\.?\s*|pages?\s+)", "", text, flags=re.IGNORECASE)
    text = re.split(r"[,;]", text, maxsplit=1)[0].strip()
    parts = [p for p in _DASHES.split(text) if p]
    if not parts:
        return "", None
    first = parts[0].replace(" ", "")
    if len(parts) == 1:
        return first, None
    last = parts[-1].replace(" ", "")
    m_first, m_last = _PAGE_PART.match(first), _PAGE_PART.match(last)
    if not (m_first and m_last):
        return first, last
    prefix, digits, _suffix = m_first.groups()
    l_prefix, l_digits, l_suffix = m_last.groups()
    if len(l_digits) < len(digits):
        l_digits = digits[: len(digits) - len(l_digits)] + l_digits
    return first, f"{l_prefix or prefix}{l_digits}{l_suffix}"


def _page_number(page: str) -> str | None:
    m = _PAGE_PART.match(page)
    if not m:
        return None
    return m.group(2).lstrip("0") or "0"


def _grade_page(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    if found.get("page") == expected.get("page") and found.get("page-first") == expected.get("page-first"):
        return None
    f_page, e_page = _page_of(found), _page_of(expected)
    if not normalize_text(f_page) or not normalize_text(e_page):
        return None
    f_first, f_last = expand_page_range(f_page)
    e_first, e_last = expand_page_range(e_page)
    if not f_first or not e_first:
        return None

    def span(first: str, last: str | None) -> str:
        return f"{first}–{last}" if last else first

    if f_first.casefold() != e_first.casefold():
        f_number, e_number = _page_number(f_first), _page_number(e_first)
        if f_number is not None and f_number == e_number:
            return Difference(
                "page", "warning", e_page, f_page,
                f"first page {f_first!r} vs {e_first!r}: same number, different prefix",
            )  # fmt: skip
        return Difference(
            "page", "error", e_page, f_page,
            f"different first page: {f_page!r} (= {span(f_first, f_last)}) "
            f"vs {e_page!r} (= {span(e_first, e_last)})",
        )  # fmt: skip
    if f_last is None or e_last is None or f_last.casefold() == e_last.casefold():
        return None
    return Difference(
        "page", "warning", e_page, f_page,
        f"last page differs: {f_page!r} expands to {span(f_first, f_last)}, "
        f"expected {e_page!r} = {span(e_first, e_last)}",
    )  # fmt: skip


# ---------------------------------------------------------------------- driver

_COMPARATORS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Difference | None]] = {
    "title": _grade_title,
    "author": _grade_author,
    "year": _grade_year,
    "container": _grade_container,
    "volume": _grade_volume,
    "issue": _grade_issue,
    "page": _grade_page,
}


def compare_works(
    found: dict[str, Any], expected: dict[str, Any], *, fields: Iterable[str] = FIELDS
) -> list[Difference]:
    """Compare ``found`` (the manuscript's entry) with ``expected`` (the registrar's record).

    Returns one :class:`Difference` per differing field, in the order of
    ``fields``; a field absent or empty on either side is not compared.
    :class:`KeyError` for an unknown field name.
    """
    differences: list[Difference] = []
    for field in fields:
        comparator = _COMPARATORS[field]
        difference = comparator(found, expected)
        if difference is not None:
            differences.append(difference)
    return differences
