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
:func:`journal_matches`, :func:`title_similarity`, :func:`year_of`) are public, and so is
:func:`agreement`: whether a record is the work a reference describes at all (title, first
author, year and journal), which decides a search's candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from audit.compare.authors import grade_author, names_match
from audit.compare.journals import grade_container, journal_matches
from audit.compare.match import Agreement, agreement, best_agreement
from audit.compare.numbers import (
    expand_page_range,
    grade_issue,
    grade_page,
    grade_volume,
    grade_year,
    year_of,
)
from audit.compare.text import Difference, describe_difference, normalize_text
from audit.compare.titles import grade_title, title_similarity

__all__ = [
    "FIELDS",
    "Agreement",
    "Difference",
    "agreement",
    "best_agreement",
    "compare_works",
    "describe_difference",
    "expand_page_range",
    "journal_matches",
    "names_match",
    "normalize_text",
    "title_similarity",
    "year_of",
]

FIELDS: tuple[str, ...] = ("title", "author", "year", "container", "volume", "issue", "page")

_COMPARATORS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Difference | None]] = {
    "title": grade_title,
    "author": grade_author,
    "year": grade_year,
    "container": grade_container,
    "volume": grade_volume,
    "issue": grade_issue,
    "page": grade_page,
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

