"""Text as references write it: one normal form for comparing, a short account of what
differs, and the :class:`Difference` every field's grader returns."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from rapidfuzz.distance import Levenshtein

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


def words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


def as_text(value: Any) -> str:
    """A CSL value as one string (lists take their first non-empty element)."""
    if type(value) is str:
        return value.strip()  # the common case, first
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        for item in value:
            text = as_text(item)
            if text:
                return text
        return ""
    return str(value).strip()


def as_texts(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [t for v in value if (t := as_text(v))]
    text = as_text(value)
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
    return _normalize_str(as_text(s))


def compact(s: str) -> str:
    return normalize_text(s).replace(" ", "")


def edit_budget(length: int) -> int:
    """Character edits still typo-level for a word or name of ``length`` characters."""
    if length < 5:
        return 0
    return 1 if length < 8 else 2


# ------------------------------------------------------------- human-readable diffs


def quoted(s: str, limit: int = 80) -> str:
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


def word_diff(found: str, expected: str) -> str:
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
        return f"{quoted(found)} vs {quoted(expected)}: {noun}{note} ({', '.join(edits)})"
    return f"found vs expected{note}: {word_diff(a, b)}"


