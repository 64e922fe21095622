"""Whether a registrar's record is the work a reference describes: its title, first author,
year and journal graded as :func:`audit.compare.compare_works` grades them.

A record *agrees* with a reference when

- the title is the same, or differs only as a typo, a missing or an extra subtitle does;
- the first author is the same person (initials, particles, diacritics, a typo allowed; a
  group, such as a study group, is not compared with a person);
- of the year and the journal, at most one differs (a wrong year, or a wrong journal, is
  then a finding about the reference, not a reason to doubt the work exists);
- something besides the title agrees, when the reference gives anything besides its title.

So a chimera (half a title from one work, half from another) does not agree with either
work, nor does a real author's name on a title nobody wrote, nor a real title under other
authors, nor a real title and first author in another journal and another year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from audit.compare.authors import grade_author
from audit.compare.journals import grade_container
from audit.compare.numbers import grade_year, year_of
from audit.compare.text import Difference, as_text, normalize_text
from audit.compare.titles import grade_title, title_similarity

__all__ = ["Agreement", "agreement", "best_agreement"]

#: what a reference and a record are graded on, in this order
GRADED = ("title", "author", "year", "container")
_JOURNAL_KEYS = ("container-title", "container-title-short", "journalAbbreviation")


def _first_author(item: Mapping[str, Any]) -> dict[str, Any]:
    names = item.get("author")
    return {"author": names[:1]} if isinstance(names, list) and names else {}


def _group(item: Mapping[str, Any]) -> bool:
    """The first author is a group (a ``literal`` name), which a person's name cannot be
    compared with (a study group listed first in one list, last in another)."""
    names = item.get("author")
    return isinstance(names, list) and bool(names) and isinstance(names[0], dict) and bool(
        names[0].get("literal")) and not names[0].get("family")


def _has(item: Mapping[str, Any], field: str) -> bool:
    """Whether ``item`` gives ``field`` (as graded here)."""
    if field == "title":
        return bool(normalize_text(as_text(item.get("title"))))
    if field == "author":
        return bool(_first_author(item))
    if field == "year":
        return year_of(item) is not None
    return any(normalize_text(as_text(item.get(k))) for k in _JOURNAL_KEYS)


@dataclass(frozen=True)
class Agreement:
    """A reference graded against one record: the fields both give (``compared``), those
    that differ (``differences``, each a warning or an error) and the titles' similarity."""

    record: dict[str, Any]
    compared: tuple[str, ...]
    differences: tuple[Difference, ...]
    similarity: float

    @property
    def differing(self) -> tuple[str, ...]:
        """The fields that differ substantively (an ``error``), in :data:`GRADED` order."""
        return tuple(d.field for d in self.differences if d.grade == "error")

    @property
    def agrees(self) -> bool:
        """The record is the work the reference describes (see the module's docstring)."""
        wrong = set(self.differing)
        if "title" not in self.compared or wrong & {"title", "author"}:
            return False
        if {"year", "container"} <= wrong:
            return False
        others = [f for f in self.compared if f != "title"]
        return not others or any(f not in wrong for f in others)

    @property
    def rank(self) -> tuple[int, int, float]:
        """Closer first: fewer substantive differences, fewer typo-level ones, a closer title."""
        return (len(self.differing), len(self.differences) - len(self.differing), -self.similarity)


def agreement(entry: Mapping[str, Any], record: Mapping[str, Any]) -> Agreement:
    """``entry`` (a reference) graded against ``record`` on title, first author, year and
    journal."""
    found, expected = dict(entry), dict(record)
    people = _group(found) == _group(expected)  # both persons, or both groups
    compared = tuple(f for f in GRADED if _has(found, f) and _has(expected, f)
                     and (f != "author" or people))
    author = grade_author(_first_author(found), _first_author(expected)) if people else None
    graded = (grade_title(found, expected), author, grade_year(found, expected),
              grade_container(found, expected))
    differences = tuple(d for d in graded if d is not None)
    similarity = (title_similarity(as_text(found.get("title")), as_text(expected.get("title")))
                  if "title" in compared else 0.0)
    return Agreement(dict(record), compared, differences, similarity)


def best_agreement(entry: Mapping[str, Any], records: Iterable[Mapping[str, Any]]
                   ) -> Agreement | None:
    """The record that agrees with ``entry`` best (the first, on a tie), if any does."""
    agreeing = [a for a in (agreement(entry, r) for r in records) if a.agrees]
    return min(agreeing, key=lambda a: a.rank) if agreeing else None
