"""Personal names as reference lists and PubMed write them: initials and suffixes.

One rule for every reader of names (a printed reference list, PubMed's ``Family AB``),
so that ``JW``, ``J.W.`` and ``J-P`` are initials wherever they are read.
"""

from __future__ import annotations

SUFFIXES = frozenset({"Jr", "Sr", "II", "III", "IV", "2nd", "3rd"})


def is_suffix(token: str) -> bool:
    """``Jr``, ``Jr.``, ``III``…: a generational suffix, not a name or initials."""
    return token.rstrip(".") in SUFFIXES


def is_initials(token: str) -> bool:
    """One to four capital initials, with or without dots and hyphens (``JW``, ``J.W.``, ``J-P``)."""
    letters = token.replace(".", "").replace("-", "")
    return 0 < len(letters) <= 4 and letters.isalpha() and letters.isupper()
