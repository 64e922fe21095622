"""What the fake registrar serves: its scenarios, and its records in each source's format
(built from CSL items)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from rapidfuzz.distance import Levenshtein

from audit.compare import normalize_text
from audit.identifiers import normalize_arxiv, normalize_pmcid, normalize_pmid
from audit.sources import arxiv as arxiv_api
from audit.sources import pmc as pmc_api
from audit.sources.crossref import csl_to_crossref
from audit.sources.pubmed import csl_to_esummary
from audit.works import arxiv_in_item

CSL_JSON = "application/vnd.citationstyles.csl+json"
STATUS_KINDS = ("429", "500", "502", "503")
RETRACTION_NOTICE = "10.9999/retraction-notice"


@dataclass(frozen=True)
class Scenario:
    """How the server misbehaves for one DOI (see the module docstring)."""

    kind: str
    times: int | None = None  # status scenarios: fail the first N requests (None: always)
    seconds: float = 0.0  # latency / hang
    retry_after: str | None = None  # "1", "0", "date" or None

    @classmethod
    def parse(cls, spec: str | Scenario) -> Scenario:
        if isinstance(spec, Scenario):
            return spec
        spec = spec.strip()
        head, _, retry = spec.partition("@")
        kind, _, arg = head.partition(":")
        if kind in ("latency", "hang"):
            return cls(kind, seconds=float(arg) if arg else (0.5 if kind == "latency" else 30.0))
        code, _, count = kind.partition("x")
        if code in STATUS_KINDS:
            times = int(count) if count else (1 if code == "429" else None)
            default = "1" if code in ("429", "503") else None
            after = None if retry == "none" else (retry or default)
            return cls(code, times=times, retry_after=after)
        known = {
            "ok", "reset", "truncated", "partial-json", "invalid-json", "html200", "wrong-doi",
            "redirect-loop", "404", "crossref-404", "retracted",
        }  # fmt: skip
        if kind not in known:
            raise ValueError(f"unknown scenario {spec!r}")
        return cls(kind)


def aliases_from_citations_tsv(text: str) -> dict[str, str]:
    """shortDOI -> DOI, as Manubot expanded them: its ``citations.tsv`` (``input_id``
    ``doi:10/abcd`` beside ``standard_id`` ``doi:10.x/y``)."""
    rows = [row.split("\t") for row in text.splitlines()]
    if not rows:
        return {}
    i, j = rows[0].index("input_id"), rows[0].index("standard_id")
    return {row[i][4:].lower(): row[j][4:] for row in rows[1:]
            if len(row) > max(i, j) and row[i].lower().startswith("doi:10/")
            and row[j].lower().startswith("doi:10.")}


def records_from_csl(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{doi: item}`` for the CSL JSON items that have a DOI."""
    return {str(item["DOI"]): dict(item) for item in items if item.get("DOI")}


def pubmed_from_csl(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{pmid: item}`` for the CSL JSON items that have a PMID."""
    return {pmid: dict(item) for item in items
            if (pmid := normalize_pmid(str(item.get("PMID") or "")))}


def pmc_from_csl(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{pmcid: item}`` for the CSL JSON items that have a PMCID (the first of each)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        if pmcid := normalize_pmcid(str(item.get("PMCID") or "")):
            out.setdefault(pmcid, dict(item))
    return out


def arxiv_from_csl(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{arXiv identifier without version: item}`` for the CSL JSON items that name an arXiv
    article (their ``URL``, ``number`` or arXiv DOI, see :func:`audit.works.arxiv_in_item`)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        if found := arxiv_in_item(item):
            out.setdefault(arxiv_api.split_version(found)[0], dict(item))
    return out



_K1, _B, _SCALE = 1.2, 0.75, 2.0  # BM25's constants, and a factor to Crossref's scale


class _Index:
    """The records' words, for Crossref-style relevance (BM25 over title, authors, journal,
    year, volume, issue and pages, as a search engine ranks a bibliographic query)."""

    def __init__(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        self.records = records
        self.size = len(records)
        self.words: dict[str, list[str]] = {}
        for doi, record in records.items():
            names = " ".join(f"{a.get('given') or ''} {a.get('family') or a.get('literal') or ''}"
                             for a in record.get("author") or [])
            year = ((record.get("issued") or {}).get("date-parts") or [[""]])[0][0]
            text = " ".join(str(v) for v in (record.get("title"), names, record.get("container-title"),
                                             record.get("container-title-short"), year,
                                             record.get("volume"), record.get("issue"),
                                             record.get("page")) if v)
            self.words[doi] = normalize_text(text).split()
        self.mean = sum(map(len, self.words.values())) / max(self.size, 1)
        self.df: dict[str, int] = {}
        for words in self.words.values():
            for word in set(words):
                self.df[word] = self.df.get(word, 0) + 1

    def score(self, query: list[str], doi: str) -> float:
        words = self.words[doi]
        total = 0.0
        for word in set(query):
            tf = words.count(word)
            if tf:
                idf = math.log(1 + (self.size - self.df[word] + 0.5) / (self.df[word] + 0.5))
                total += idf * tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * len(words) / self.mean))
        return _SCALE * total


_INDEXES: list[_Index] = []  # the last few, by their records (a server's, kept for its life)


def _index(records: Mapping[str, Mapping[str, Any]]) -> _Index:
    for index in _INDEXES:
        if index.records is records and index.size == len(records):
            return index
    _INDEXES[:] = [_Index(records), *_INDEXES[:3]]
    return _INDEXES[0]


def search(records: Mapping[str, Mapping[str, Any]], query: str, rows: int) -> list[dict[str, Any]]:
    """Crossref-style bibliographic search: Crossref work items with a ``score``, best first.

    Relevance is BM25 over each record's title, authors, journal, year, volume, issue and
    pages, on roughly Crossref's scale: the work a reference describes scores far above the
    rest, and, as Crossref always answers, a reference to a work it does not hold still gets
    its nearest records (those sharing words with it)."""
    index = _index(records)
    wanted = normalize_text(query).split()
    scored = [(score, doi) for doi in records if (score := index.score(wanted, doi)) > 0]
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [{**csl_to_crossref(records[doi]), "score": round(score, 3)} for score, doi in scored[:rows]]


# --- PubMed's esearch ------------------------------------------------------------------

_CLAUSE = re.compile(r'^\(?\s*"?(?P<text>[^"\[\]]*?)"?\s*(?:\[(?P<tag>[A-Za-z0-9 ]+)\])?\s*\)?$')
_TAGS = {"ti": "ti", "title": "ti", "1au": "1au", "au": "au", "author": "au", "dp": "dp",
         "pdat": "dp", "ta": "ta", "journal": "ta"}
_ESEARCH_STOPWORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "from", "in", "into",
                                "is", "of", "on", "or", "the", "to", "with"})


def _pubmed_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """What esearch looks a record up by: title words, authors (``family initials``), journal
    names, year."""
    authors = []
    for a in item.get("author") or []:
        initials = "".join(w[0] for w in normalize_text(str(a.get("given") or "")).split())
        family = " ".join(str(a.get(k) or "") for k in ("non-dropping-particle", "family"))
        authors.append(normalize_text(f"{family.strip() or a.get('literal') or ''} {initials}"))
    year = ((item.get("issued") or {}).get("date-parts") or [[""]])[0][0]
    journals = {normalize_text(str(item.get(k) or "")) for k in ("container-title",
                                                                 "container-title-short")}
    return {"ti": set(normalize_text(str(item.get("title") or "")).split()), "au": authors,
            "ta": journals - {""}, "dp": str(year)}


def _matches(fields: Mapping[str, Any], tag: str, text: str, words: list[str]) -> bool:
    if tag == "ti":
        return set(words) <= set(fields["ti"])
    if tag in ("1au", "au"):
        names = fields["au"][:1] if tag == "1au" else fields["au"]
        return any(n == text or n.startswith(text + " ") for n in names)
    if tag == "dp":
        start, _, end = text.partition(":")
        return bool(fields["dp"]) and (start or "0") <= str(fields["dp"]) <= (end.strip() or start)
    if tag == "ta":
        return text in set(fields["ta"])
    everything = set(fields["ti"]) | set(" ".join([*fields["au"], *fields["ta"], fields["dp"]]).split())
    return set(words) <= everything


def _misspelt(word: str, vocabulary: set[str]) -> bool:
    """A word PubMed would not know at all: not in any title here, but a letter or two from
    one that is (the fake's few records stand for PubMed's index, in which every real word
    is)."""
    return word not in vocabulary and len(word) >= 5 and any(
        Levenshtein.distance(word, known, score_cutoff=2) <= 2 for known in vocabulary)


def esearch(pubmed: Mapping[str, Mapping[str, Any]], term: str, retmax: int) -> dict[str, Any]:
    """PubMed's esearch answer (JSON) for a query over these records (by PMID).

    Clauses joined by ``AND``, each ``text[tag]`` (``ti``, ``1au``, ``au``, ``dp``, ``ta``)
    or untagged (all fields); the words of a clause are each required (the audit tags each
    word on its own, ``spine[ti] AND cryoablation[ti]``, as PubMed would read several words
    under one tag as a phrase). As PubMed does, a word it does not know at all (here: a
    misspelling of a word the records have) is left out and named in
    ``errorlist.phrasesnotfound``, and the search goes on without it. The PMIDs are in order
    of relevance (how many of the query's title words each title has), then newest first."""
    fields = {pmid: _pubmed_fields(item) for pmid, item in pubmed.items()}
    vocabulary = set().union(*(f["ti"] for f in fields.values())) if fields else set()
    tests: list[tuple[str, str, list[str]]] = []
    missing: list[str] = []
    for clause in re.split(r"\s+AND\s+", term.strip()):
        parsed = _CLAUSE.match(clause.strip())
        if parsed is None or not parsed["text"].strip():
            continue
        tag = _TAGS.get((parsed["tag"] or "").strip().lower(), "all")
        text = normalize_text(parsed["text"])
        words = [w for w in text.split() if w not in _ESEARCH_STOPWORDS]
        if tag in ("ti", "all"):
            unknown = [w for w in words if _misspelt(w, vocabulary)]
            missing += unknown
            words = [w for w in words if w not in unknown]
            if not words:
                continue
        tests.append((tag, text, words))
    found = [pmid for pmid, f in fields.items()
             if tests and all(_matches(f, tag, text, words) for tag, text, words in tests)]
    wanted = {w for tag, _, words in tests if tag in ("ti", "all") for w in words}
    found.sort(key=lambda pmid: (-len(wanted & fields[pmid]["ti"]), -int(pmid)))
    result: dict[str, Any] = {"count": str(len(found)), "retmax": str(min(retmax, len(found))),
                              "retstart": "0", "idlist": found[:retmax], "translationset": [],
                              "querytranslation": term}
    if missing:
        result["errorlist"] = {"phrasesnotfound": missing, "fieldsnotfound": []}
    return {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": result}


def ids_in(query: str, param: str = "id") -> list[str]:
    return [i.strip() for v in parse_qs(query).get(param, []) for i in v.split(",") if i.strip()]


def esummary(pubmed: Mapping[str, Mapping[str, Any]], ids: list[str]) -> dict[str, Any]:
    """PubMed's esummary answer (JSON) for these PMIDs: a summary each, or an error."""
    result: dict[str, Any] = {"uids": ids}
    for pmid in ids:
        item = pubmed.get(pmid)
        result[pmid] = (csl_to_esummary(item, pmid) if item is not None
                        else {"uid": pmid, "error": "cannot get document summary"})
    return {"header": {"type": "esummary", "version": "0.3"}, "result": result}


def pmc_esummary(pmc: Mapping[str, Mapping[str, Any]], ids: list[str]) -> dict[str, Any]:
    """PMC's esummary answer (JSON, ``db=pmc``) for these uids (a PMCID's digits)."""
    result: dict[str, Any] = {"uids": ids}
    for uid in ids:
        item = pmc.get(f"PMC{uid}")
        result[uid] = (pmc_api.csl_to_summary(item, f"PMC{uid}") if item is not None
                       else {"uid": uid, "error": "cannot get document summary"})
    return {"header": {"type": "esummary", "version": "0.3"}, "result": result}


def arxiv_entry(arxiv: Mapping[str, Mapping[str, Any]], asked: str) -> str | None:
    """arXiv's entry (XML) for an identifier: the version asked for, else the item's own (its
    ``number``'s or ``version``, else 1); None for an article or a version arXiv lacks."""
    base, version = arxiv_api.split_version(asked)
    item = arxiv.get(base)
    if item is None:
        return None
    own = arxiv_api.split_version(normalize_arxiv(str(item.get("number") or "")) or "")[1]
    written = str(item.get("version") or "")
    latest = own or (int(written) if written.isdigit() else 1)
    if version is not None and version > latest:
        return None
    return arxiv_api.csl_to_entry(item, f"{base}v{version or latest}")


