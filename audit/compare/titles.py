"""Titles: the same title in another style, a missing or extra subtitle, a typo, or another title."""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from audit.compare.text import (
    Difference,
    Grade,
    as_text,
    describe_difference,
    normalize_text,
    word_diff,
)

# ----------------------------------------------------------------------- titles

_SUBTITLE_SEP = re.compile(r"\s*(?::|\.|\?|!|;|\s[-–—]|--)\s+")


def _title_variants(item: dict[str, Any]) -> list[str]:
    title = as_text(item.get("title"))
    if not title:
        return []
    variants = [title]
    subtitle = as_text(item.get("subtitle"))
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


def grade_title(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
    if found.get("title") == expected.get("title"):
        return None  # the same title (whatever the subtitle: a missing one is no finding)
    f_title = as_text(found.get("title"))
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
    return diff("error", f"different title ({similarity:.0%} similar): {word_diff(nf, ne)}")


