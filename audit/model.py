"""What flows between the audit's stages: citations, entries, works, what a source said, findings.

    manuscript -> Citation, Manuscript        (audit.inputs)
    bibliography -> Entry; printed list -> PrintedReference
    -> Work (one per work to verify)           (audit.works)
    -> Outcome (a source's answer, or the lock's) (audit.sources, audit.lock)
    -> Finding (with a stable code from CODES)   (audit.checks) -> reports

Everything here is plain data: no stage imports another stage's internals.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

# --- findings ------------------------------------------------------------------------


class Severity(StrEnum):
    """How bad a finding is. Ordered: ``info < unverified < warning < error``."""

    INFO = "info"
    UNVERIFIED = "unverified"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.UNVERIFIED: 1, Severity.WARNING: 2, Severity.ERROR: 3}

#: Every finding code, with a one-line description: the single registry (the README has
#: one row per code). A check that emits a new code adds it here.
CODES: dict[str, str] = {
    "undefined-citation": "A citation in the text names a key that is not in the bibliography.",
    "uncited-reference": "A bibliography entry is never cited in the text.",
    "several-keys": "Several citation keys name one work (as Manubot warns: one standard id).",
    "citation-order": "A numbered reference list is not in the order of first citation.",
    "bibliography-mismatch": ("A reference manager's data for a cited item and the bibliography "
                              "printed in the document disagree."),
    "duplicate-key": "Two bibliography entries share one citation key.",
    "duplicate-work": "Two bibliography entries (different keys) describe the same work.",
    "doi-malformed": ("A DOI (or PMID, ISBN, or an arXiv, PMCID or ISBN citation key) is not "
                      "valid (error), or a DOI was written in a harmless non-canonical form and "
                      "normalised (info)."),
    "doi-short": "A shortDOI (10/abcd), checked as the full DOI doi.org expands it to.",
    "doi-missing": "A reference that should have a DOI has none.",
    "doi-not-found": "The DOI is not registered with any DOI registrar.",
    "doi-suggested": ("The registrar has a DOI (or PubMed a PMID) that matches this reference's "
                      "metadata."),
    "reference-not-found": ("No work in Crossref or PubMed matches this reference without an "
                            "identifier (title, first author, year, journal): it may not exist."),
    "metadata-mismatch": "A bibliographic field differs from the registrar's record.",
    "retracted": "The cited work has been retracted.",
    "expression-of-concern": "The publisher has issued an expression of concern about the work.",
    "corrected": "The cited work has a published correction (erratum).",
    "pmid-not-found": "PubMed has no record for the PMID.",
    "pmid-doi-mismatch": "PubMed gives the PMID another DOI: the PMID and the DOI name different articles.",
    "pmcid-mismatch": ("PubMed links the PMID to another PMCID, or PMC gives the PMCID another "
                       "PMID or DOI (error); PubMed links the PMID to none (warning)."),
    "pmcid-not-found": "PubMed Central has no article with the PMCID.",
    "arxiv-not-found": "arXiv has no article with the arXiv identifier.",
    "preprint-published": "arXiv gives the DOI of the preprint's published version.",
    "unverified": ("The reference could not be checked against the registrar (or PubMed, PMC, "
                   "arXiv)."),
    "output-missing-link": "A citation in a rendered output links to no reference entry.",
    "output-reference-count": "A rendered output lists a different number of references.",
    "reference-unparsed": "A reference could not be parsed into structured metadata.",
    "input-error": "An input file could not be read or parsed.",
}


@dataclass(frozen=True)
class Finding:
    """One problem (or one note) about one citation or one reference.

    ``code`` is stable across releases (:data:`CODES`); ``field`` names the bibliographic
    field for ``metadata-mismatch``; ``expected`` is what the registrar (or the reference
    list) says, ``found`` what the manuscript's bibliography says.
    """

    code: str
    severity: Severity
    message: str
    key: str | None = None
    file: str | None = None
    line: int | None = None  # in a Word file: the paragraph
    field: str | None = None
    expected: str | None = None
    found: str | None = None
    excerpt: str | None = None  # a short quote of the place (a Word file has no lines)
    # ``field`` above shadows dataclasses.field inside the class body
    extra: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data.pop("extra")
        return data


def shown(text: object) -> str:
    """``text`` quoted for a finding's message, with control characters escaped (terminal-safe)."""
    return repr(str(text))


def summarize(findings: list[Finding]) -> dict[str, Any]:
    """Counts by severity and by code, the ``summary`` block of every report."""
    by_severity = Counter(f.severity.value for f in findings)
    by_code = Counter(f.code for f in findings)
    return {
        "total": len(findings),
        "by_severity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        "by_code": dict(sorted(by_code.items())),
    }


# --- the manuscript and its references ----------------------------------------------


@dataclass(frozen=True)
class Citation:
    """One cited key at one place in the manuscript (``line``: in a Word file, the paragraph;
    ``excerpt``: a short quote of the sentence, where lines mean nothing)."""

    key: str
    file: str
    line: int | None
    mode: str = "NormalCitation"  # or AuthorInText, SuppressAuthor, nocite
    prefix: str = ""
    suffix: str = ""
    excerpt: str | None = None


@dataclass
class Manuscript:
    """What the audit needs from the manuscript's files."""

    files: list[Path]  # the files read, in order
    metadata: dict[str, Any]
    citations: list[Citation] = field(default_factory=list)
    nocite_all: bool = False
    # Manubot's aliases: a key that stands for another (``[@deep-review]: doi:10.1098/…``)
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def cited_keys(self) -> list[str]:
        """Distinct cited keys in order of first citation."""
        return list(dict.fromkeys(c.key for c in self.citations))


@dataclass(frozen=True)
class Entry:
    """One bibliography entry: its CSL JSON item and where it is written."""

    key: str
    item: dict[str, Any]
    file: str
    line: int | None
    excerpt: str | None = None
    # in the manuscript's reference list (never cited: reported); a reference store such as
    # Manubot's manual references holds works that need not all be cited
    listed: bool = True


@dataclass(frozen=True)
class PrintedReference:
    """One entry of a printed reference list.

    ``raw`` is the entry's text without its number, wrapped lines joined;
    ``item`` a CSL JSON item; ``problems`` what could not be parsed. ``key`` is what the
    manuscript's citations call it (``#3`` for a numbered list, a ``\bibitem`` key, a
    JATS ``ref`` id); ``listed``: it is the manuscript's own reference list, which its
    citations point at (a list given with ``--reference-text`` is not).
    """

    number: int
    line: int
    raw: str
    item: dict[str, Any] = field(hash=False)
    et_al: bool = False
    problems: tuple[str, ...] = ()
    key: str | None = None
    file: str | None = None
    listed: bool = False
    excerpt: str | None = None

    @property
    def name(self) -> str:
        """The key citations use: ``key``, else ``#number``."""
        return self.key or f"#{self.number}"


@dataclass
class Document:
    """One manuscript as a reader gives it: what it cites, and the references it carries
    itself (a reference manager's item data, JATS ``element-citation``s), prints (a typed
    reference list, ``thebibliography``, JATS ``mixed-citation``s) or names (bibliography
    files: Markdown's front matter, LaTeX's ``\bibliography``)."""

    manuscript: Manuscript
    entries: list[Entry] = field(default_factory=list)
    printed: list[PrintedReference] = field(default_factory=list)
    bibliographies: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # what reading it already found


@dataclass
class Inputs:
    """Everything the audit reads from the user's files."""

    manuscript: Manuscript | None = None
    entries: list[Entry] = field(default_factory=list)
    printed: list[PrintedReference] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # key -> the key it stands for
    findings: list[Finding] = field(default_factory=list)  # what reading the inputs found


# --- what a source said -------------------------------------------------------------

Status = Literal["ok", "not-found", "unverified"]


@dataclass(frozen=True)
class Outcome:
    """What a source (Crossref, doi.org, PubMed; or the lock, offline) said about one
    identifier or one query. Never an exception: every answer ends as one of these.

    - ``ok``: ``record`` is the CSL JSON record (for a shortDOI, ``{"DOI": full DOI}``;
      for a search, ``candidates`` are the records found, best first);
    - ``not-found``: the source's own word that there is no such thing (a 404 from both
      Crossref and doi.org, PubMed's "cannot get document summary");
    - ``unverified``: no usable answer; ``reason`` says why.

    ``source`` names who answered (``crossref``, ``doi.org``, ``pubmed``, or the lock's
    provenance), ``url`` what was asked, ``fetched`` when (ISO 8601, UTC).
    """

    asked: str
    status: Status
    record: dict[str, Any] | None = None
    candidates: tuple[dict[str, Any], ...] = ()
    reason: str | None = None
    source: str | None = None
    url: str | None = None
    fetched: str | None = None
    attempts: int = 0


def now_iso() -> str:
    """Now as an :class:`Outcome`'s ``fetched`` and the lock write it: ISO 8601, UTC, seconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- works --------------------------------------------------------------------------


@dataclass(frozen=True)
class Searched:
    """What the registrars' searches said of a reference without identifiers.

    ``asked`` are the searches made, in order, each ``(source, query)`` with its outcome
    (``None``: not made: offline, not in the lock); ``found`` is the candidate record that
    agrees with the reference (title, first author, year, journal), from ``source``.
    """

    asked: tuple[tuple[str, str, Outcome | None], ...]
    found: dict[str, Any] | None = field(default=None, hash=False)
    source: str | None = None

    @property
    def complete(self) -> bool:
        """Every search the verdict needs was answered (``ok``): not finding the work means
        the registrars do not have it."""
        return self.found is not None or all(
            o is not None and o.status == "ok" for _, _, o in self.asked)


@dataclass(frozen=True)
class Work:
    """One work to verify: a bibliography entry, a printed reference, or an identifier key.

    ``raw_doi`` is the DOI as written; ``doi`` the DOI the work is checked as: the
    written one normalised, or the full DOI a shortDOI (``short_doi``) stands for, or
    the DOI of the registered record a printed reference was matched to, or that a search
    found for a reference without identifiers (``searched``; its PMID, if PubMed's). Stages
    that establish a DOI return a new work (:func:`dataclasses.replace`), never edit one.
    """

    key: str
    item: dict[str, Any]
    file: str | None
    line: int | None
    origin: Literal["bibliography", "printed", "citekey"]
    doi: str | None = None
    doi_problem: str | None = None
    doi_changed: bool = False
    raw_doi: str | None = None
    short_doi: str | None = None  # the shortDOI it gives (``10/abcd``, lower case), if any
    short: Outcome | None = None  # what doi.org (or the lock) said of that shortDOI
    query: str | None = None  # the reference as printed, for a bibliographic search
    et_al: bool = False
    pmid: str | None = None  # its PMID (bare digits), checked against PubMed
    excerpt: str | None = None
    searched: Searched | None = None  # a reference without identifiers: what searches said

    def finding(self, code: str, severity: Severity, message: str, **kw: Any) -> Finding:
        return Finding(code=code, severity=severity, message=message, key=self.key,
                       file=self.file, line=self.line, excerpt=self.excerpt, **kw)
