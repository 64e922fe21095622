"""Persistent identifiers: DOI, PMID, PMCID, arXiv id, and Manubot-style citation keys.

Every normaliser here is *strict*: it tidies the harmless ways people write an
identifier (URL forms, ``doi:`` prefixes, upper case, trailing punctuation) and
refuses anything that is not one.  A ``None`` result always means "not an
identifier of this kind", never "probably fine".

Citation keys follow Manubot (``manubot.cite``): a key ``scheme:identifier``
is dispatched through a table of one small handler per scheme
(:data:`CITEKEY_HANDLERS`), with aliases (``pubmed`` → ``pmid``, ``pmc`` →
``pmcid``, ``http``/``https`` → ``url``) resolved first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

__all__ = [
    "CITEKEY_HANDLERS",
    "CiteKey",
    "DoiNormalization",
    "doi_url",
    "normalize_arxiv",
    "normalize_doi",
    "normalize_isbn",
    "normalize_pmcid",
    "normalize_pmid",
    "normalize_short_doi",
    "parse_citekey",
]

# --------------------------------------------------------------------------- DOI

_DOI_URL = re.compile(r"^(?:https?://)?(?:(?:dx|www)\.)?doi\.org/+(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_DOI_PREFIX = re.compile(r"^(?:doi\s*:\s*|doi\s+|info:doi/|urn:doi:)", re.IGNORECASE)
_DOI = re.compile(r"^10\.(?P<registrant>[^/]*)/(?P<suffix>.*)$", re.DOTALL)
_REGISTRANT = re.compile(r"^\d{4,9}(?:\.\d+)*$")
_ANY_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)", re.IGNORECASE)
_TRAILING = ".,;:"
_CLOSERS = {")": "(", "]": "["}
_WRAPPERS = (("<", ">"), ("(", ")"), ("[", "]"), ('"', '"'), ("'", "'"), ("“", "”"))


@dataclass(frozen=True)
class DoiNormalization:
    """Result of :func:`normalize_doi`.

    ``doi`` is the canonical (lower-case, bare) DOI or ``None`` if ``original``
    is not a DOI; ``changed`` says whether ``doi`` differs from ``original``;
    ``problem`` explains a rejection.
    """

    doi: str | None
    original: str
    changed: bool
    problem: str | None = None


def _has_bad_chars(s: str) -> bool:
    return any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in s)


def _strip_trailing(s: str) -> str:
    """Drop trailing sentence punctuation and unbalanced closing brackets."""
    while s:
        last = s[-1]
        if last in _TRAILING or (last in _CLOSERS and s.count(last) > s.count(_CLOSERS[last])):
            s = s[:-1]
        else:
            break
    return s


def _unwrap(s: str) -> str:
    changed = True
    while changed:
        changed = False
        s = s.strip()
        for left, right in _WRAPPERS:
            if len(s) >= 2 and s.startswith(left) and s.endswith(right):
                s = s[1:-1]
                changed = True
    return s


def _not_a_doi_reason(s: str) -> str:
    """Why ``s`` (already stripped of prefixes) is not a DOI."""
    compact = s.replace("-", "").replace(" ", "")
    if re.fullmatch(r"(?i)pmid:?\s*\d{1,8}", s) or re.fullmatch(r"\d{1,8}", s):
        return "looks like a PubMed ID (PMID), not a DOI"
    if re.fullmatch(r"(?i)pmc\d+", compact):
        return "looks like a PubMed Central ID (PMCID), not a DOI"
    if re.fullmatch(r"(?i)(?:isbn:?)?(?:\d{9}[\dx]|97[89]\d{10})", compact):
        return "looks like an ISBN, not a DOI"
    if normalize_arxiv(s) is not None:
        return "looks like an arXiv identifier, not a DOI"
    return "missing the '10.' prefix of a DOI"


def normalize_doi(text: str) -> DoiNormalization:
    """Normalise a DOI written in any common form; reject anything else.

    Accepted and tidied: ``https://doi.org/…``, ``http://dx.doi.org/…``,
    ``doi.org/…`` (percent-encoding decoded, ``#fragment`` dropped),
    ``doi:``/``DOI:``/``doi `` prefixes, ``<…>`` or quotes around it,
    surrounding whitespace, trailing ``. , ; :`` and unbalanced ``)``/``]``,
    upper case (DOIs are case-insensitive; the canonical form is lower case).

    Rejected (``doi=None`` with a ``problem``): no ``10.`` prefix, a registrant
    code that is not ``\\d{4,9}(\\.\\d+)*``, no ``/``, an empty suffix,
    whitespace or control characters inside, URLs that are not doi.org links,
    PMIDs, PMCIDs, ISBNs and arXiv ids.  Idempotent on its own output.
    """
    original = text

    def reject(problem: str) -> DoiNormalization:
        return DoiNormalization(None, original, False, problem)

    if not isinstance(text, str):
        return reject(f"not a string: {type(text).__name__}")
    s = _unwrap(text)
    if not s:
        return reject("empty")
    url = _DOI_URL.match(s)
    if url:
        rest = url.group("rest").split("#", 1)[0]
        s = unquote(rest).strip()
    elif _ANY_URL.match(s):
        return reject("a URL that is not a doi.org link")
    s = _DOI_PREFIX.sub("", s, count=1).strip() if not url else s
    s = _strip_trailing(s)
    if not s:
        return reject("empty after removing prefix and punctuation")
    m = _DOI.match(s)
    if not m:
        if re.match(r"^10\.[^/]*$", s):
            return reject("no '/' between the DOI prefix and suffix")
        return reject(_not_a_doi_reason(s))
    registrant, suffix = m.group("registrant"), m.group("suffix")
    if not _REGISTRANT.match(registrant):
        return reject(f"registrant code {registrant!r} is not 4-9 digits (optionally .digits)")
    if not suffix:
        return reject("empty DOI suffix")
    if _has_bad_chars(s):
        return reject("whitespace or control characters inside the DOI")
    doi = s.lower()
    return DoiNormalization(doi, original, doi != original, None)


_SHORT_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10/[a-z0-9]+)$", re.IGNORECASE)


def normalize_short_doi(text: str) -> str | None:
    """A shortDOI (``10/abcd``, a handle doi.org expands to a full DOI), bare and lower case,
    from ``10/abcd``, ``doi:10/abcd`` or its doi.org URL; else ``None``."""
    match = _SHORT_DOI.match(text.strip()) if isinstance(text, str) else None
    return match.group(1).lower() if match else None


# Characters left as they are in a doi.org URL path; everything else
# (space, ``%``, ``#``, ``?``, ``"``, ``<``, ``>``, ``[``, ``]``, ``{``, ``}``,
# ``\\``, ``^``, backtick, ``|``, non-ASCII) is percent-encoded.
_DOI_URL_SAFE = "/:;()@!$&'*+,=~-._"


def doi_url(doi: str) -> str:
    """``https://doi.org/<doi>`` with only the characters that need it percent-encoded.

    The DOI is normalised first; :class:`ValueError` if it is not a DOI.
    """
    norm = normalize_doi(doi)
    if norm.doi is None:
        raise ValueError(f"not a DOI: {doi!r} ({norm.problem})")
    return "https://doi.org/" + quote(norm.doi, safe=_DOI_URL_SAFE)


# ------------------------------------------------------------------ PubMed, PMC

_PMID = re.compile(r"^(?:pmid\s*:?\s*)?(\d{1,8})$", re.IGNORECASE)
_PMCID = re.compile(r"^(?:(?:pmcid|pmc)\s*:\s*(?:pmc)?|pmc)(\d{1,9})$", re.IGNORECASE)


def normalize_pmid(text: str) -> str | None:
    """A PubMed ID (1-8 digits, optional ``PMID:`` prefix) as bare digits, else ``None``."""
    if not isinstance(text, str):
        return None
    m = _PMID.match(text.strip())
    if not m:
        return None
    value = int(m.group(1))
    return str(value) if value > 0 else None


def normalize_pmcid(text: str) -> str | None:
    """A PubMed Central ID as ``PMC<digits>``, else ``None``.

    Accepts ``PMC123``, ``pmc123``, ``pmc:123``, ``pmcid:PMC123``, ``pmcid:123``.
    Bare digits are refused: without ``PMC`` they are indistinguishable from a PMID.
    """
    if not isinstance(text, str):
        return None
    m = _PMCID.match(text.strip())
    if not m:
        return None
    value = int(m.group(1))
    return f"PMC{value}" if value > 0 else None


# ------------------------------------------------------------------------ arXiv

_ARXIV_NEW = re.compile(r"^(\d{2})(0[1-9]|1[0-2])\.(\d{4,5})(?:v(\d+))?$", re.IGNORECASE)
_ARXIV_OLD = re.compile(
    r"^([a-z]+(?:-[a-z]+)*)(\.[a-z]{2})?/(\d{2})(0[1-9]|1[0-2])(\d{3})(?:v(\d+))?$",
    re.IGNORECASE,
)
_ARXIV_PREFIX = re.compile(
    r"^(?:arxiv\s*:\s*|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)",
    re.IGNORECASE,
)


def normalize_arxiv(text: str) -> str | None:
    """An arXiv identifier in canonical form, else ``None``.

    New style ``YYMM.NNNN(N)`` with optional version (``2101.01234v2``; five
    digits from 1501 on, four before); old style ``archive(.SC)/YYMMNNN``
    (``hep-th/9901001``, ``math.GT/0309136``).  Accepts ``arXiv:`` and
    arxiv.org abs/pdf URLs.
    """
    if not isinstance(text, str):
        return None
    s = _ARXIV_PREFIX.sub("", text.strip(), count=1)
    if s.lower().endswith(".pdf"):
        s = s[:-4]
    m = _ARXIV_NEW.match(s)
    if m:
        yy, mm, number, version = m.groups()
        if (int(yy) >= 15) != (len(number) == 5) or int(f"{yy}{mm}") < 704:
            return None
        return f"{yy}{mm}.{number}" + (f"v{int(version)}" if version else "")
    m = _ARXIV_OLD.match(s)
    if m:
        archive, subject, yy, mm, number, version = m.groups()
        if 7 < int(yy) < 91:  # old-style ids ran from 1991 to March 2007
            return None
        return (
            archive.lower()
            + (subject.upper() if subject else "")
            + f"/{yy}{mm}{number}"
            + (f"v{int(version)}" if version else "")
        )
    return None


# ------------------------------------------------------------------------- ISBN


def normalize_isbn(text: str) -> str | None:
    """An ISBN-10 or ISBN-13 with a valid check digit, as bare digits (``X`` upper), else ``None``."""
    if not isinstance(text, str):
        return None
    s = re.sub(r"^isbn(?:-1[03])?\s*:?\s*", "", text.strip(), flags=re.IGNORECASE)
    s = re.sub(r"[\s-]", "", s).upper()
    if re.fullmatch(r"\d{9}[\dX]", s):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(s))
        return s if total % 11 == 0 else None
    if re.fullmatch(r"97[89]\d{10}", s):
        total = sum((3 if i % 2 else 1) * int(c) for i, c in enumerate(s))
        return s if total % 10 == 0 else None
    return None


# -------------------------------------------------------------------- citekeys


@dataclass(frozen=True)
class CiteKey:
    """A parsed citation key.

    ``scheme`` is the standard scheme (``doi``, ``pmid``, ``pmcid``, ``arxiv``,
    ``url``, ``isbn``, ``wikidata``, ``tag``, ``raw``) or ``None`` for a plain
    key such as ``anchala2014``; ``identifier`` the normalised identifier (as
    written if it is invalid, with ``problem`` saying why); ``raw`` the key as given.
    """

    scheme: str | None
    identifier: str
    raw: str
    problem: str | None = None

    @property
    def standard(self) -> str | None:
        """``scheme:identifier`` with the identifier in its standard form (Manubot's
        ``standard_id``): the one name of the work, whatever key cites it; ``None`` for a
        plain key, a tag (an alias, to be resolved first) or an invalid identifier."""
        if self.scheme is None or self.scheme == "tag" or self.problem is not None:
            return None
        return f"{self.scheme}:{self.identifier}"


Normalizer = Callable[[str], tuple[str, str | None]]


@dataclass(frozen=True)
class CitekeyHandler:
    """How one scheme's identifiers are standardised (cf. Manubot's ``Handler``).

    ``normalize`` returns ``(identifier, problem)``; ``keep_prefix`` means the
    scheme is part of the identifier (``http://…`` keys are whole URLs).
    """

    scheme: str
    normalize: Normalizer
    keep_prefix: bool = False


def _doi_handler(accession: str) -> tuple[str, str | None]:
    result = normalize_doi(accession)
    return (result.doi, None) if result.doi else (accession, result.problem)


def _checked(func: Callable[[str], str | None], what: str) -> Normalizer:
    def handler(accession: str) -> tuple[str, str | None]:
        value = func(accession)
        return (value, None) if value else (accession, f"{accession!r} is not a valid {what}")

    return handler


def _pmcid_handler(accession: str) -> tuple[str, str | None]:
    # The ``pmcid:``/``pmc:`` scheme is itself the explicit prefix, so bare digits are fine here.
    value = normalize_pmcid(accession) or normalize_pmcid(f"pmc:{accession.strip()}")
    if value is None:
        return accession, f"{accession!r} is not a valid PubMed Central ID"
    return value, None


def _url_handler(accession: str) -> tuple[str, str | None]:
    value = accession.strip()
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
        return accession, f"{accession!r} is not an http(s) URL"
    return value, None


def _wikidata_handler(accession: str) -> tuple[str, str | None]:
    value = accession.strip().upper()
    if not re.fullmatch(r"Q[1-9]\d*", value):
        return accession, f"{accession!r} is not a Wikidata item id (Q<digits>)"
    return value, None


def _verbatim_handler(accession: str) -> tuple[str, str | None]:
    return (accession, None) if accession else (accession, "empty identifier")


CITEKEY_HANDLERS: dict[str, CitekeyHandler] = {
    "doi": CitekeyHandler("doi", _doi_handler),
    "pmid": CitekeyHandler("pmid", _checked(normalize_pmid, "PubMed ID")),
    "pmcid": CitekeyHandler("pmcid", _pmcid_handler),
    "arxiv": CitekeyHandler("arxiv", _checked(normalize_arxiv, "arXiv identifier")),
    "url": CitekeyHandler("url", _url_handler),
    "isbn": CitekeyHandler("isbn", _checked(normalize_isbn, "ISBN")),
    "wikidata": CitekeyHandler("wikidata", _wikidata_handler),
    "tag": CitekeyHandler("tag", _verbatim_handler),
    "raw": CitekeyHandler("raw", _verbatim_handler),
}
"""Standard scheme → handler. Extend by adding an entry (and aliases below)."""

_ALIASES: dict[str, tuple[str, bool]] = {
    # written prefix (lower case) -> (standard scheme, prefix is part of the identifier)
    "pubmed": ("pmid", False),
    "pmc": ("pmcid", False),
    "http": ("url", True),
    "https": ("url", True),
}


def parse_citekey(key: str) -> CiteKey:
    """Parse a Manubot-style citation key (``doi:10.…``, ``pmid:…``, ``url:…``, …).

    The scheme is case-insensitive; a leading ``@`` is ignored; a bare DOI
    (``10.1234/abc``, ``10/abcd``) is a ``doi:`` key.  A key with no known scheme
    (``anchala2014``, ``fig:one``) is a plain key (``scheme=None``).
    """
    raw = key
    text = key[1:] if key.startswith("@") else key
    if text.startswith(("10.", "10/")) and ":" not in text.split("/", 1)[0]:
        text = f"doi:{text}"  # a bare DOI (``@10.1234/abc``) is a DOI key, as in Manubot
    prefix, sep, accession = text.partition(":")
    if not sep:
        return CiteKey(None, text, raw)
    lower = prefix.lower()
    scheme, keep_prefix = _ALIASES.get(lower, (lower, False))
    handler = CITEKEY_HANDLERS.get(scheme)
    if handler is None:
        return CiteKey(None, text, raw)
    written = text if keep_prefix else accession
    identifier, problem = handler.normalize(written)
    return CiteKey(handler.scheme, identifier, raw, problem)
