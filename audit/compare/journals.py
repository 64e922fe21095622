"""Journals: a full name or its ISO 4 / NLM abbreviation, an acronym, an ISSN; a typo, or
another journal."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from rapidfuzz.distance import Levenshtein

from audit.compare.text import (
    Difference,
    as_text,
    as_texts,
    describe_difference,
    edit_budget,
    normalize_text,
    quoted,
    strip_markup,
    words_of,
)

# ---------------------------------------------------------------------- journals

_STOP = words_of(
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
        for text in as_texts(item.get(key)):
            if text not in names:
                names.append(text)
    return names


def _issns(item: dict[str, Any]) -> set[str]:
    values = as_texts(item.get("ISSN")) + as_texts(item.get("ISSN-L"))
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
                    if distance <= edit_budget(max(len(sa), len(sb))):
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
    found = strip_markup(as_text(found))
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


def grade_container(found: dict[str, Any], expected: dict[str, Any]) -> Difference | None:
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
                f"{quoted(f_name)} vs {quoted(closest)}: "
                f"an abbreviation with {edits} (a typo or a missing space)"
            )
        return Difference("container", "warning", e_title, f_name, detail)
    if same_issn:
        return None  # same ISSN: an abbreviation style we do not recognise
    return Difference(
        "container", "error", e_title, f_name,
        f"different journal: {quoted(f_name)} vs {' / '.join(map(quoted, e_names))}",
    )  # fmt: skip


