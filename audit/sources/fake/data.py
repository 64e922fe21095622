"""What the fake registrar serves: its scenarios, and its records in each source's format
(built from CSL items)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

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
            "ok", "reset", "truncated", "invalid-json", "html200", "wrong-doi",
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



def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def search(records: Mapping[str, Mapping[str, Any]], query: str, rows: int) -> list[dict[str, Any]]:
    """Crossref-style bibliographic search: Crossref work items with a ``score``, best first.

    Scores are word overlap between the query and each record's title, authors,
    journal and year, on roughly Crossref's scale (a clear match scores far above the rest).
    """
    wanted = _words(query)
    scored = []
    for doi, record in records.items():
        names = " ".join(str(a.get("family") or a.get("literal") or "")
                         for a in record.get("author") or [])
        year = str(((record.get("issued") or {}).get("date-parts") or [[""]])[0][0])
        haystack = _words(" ".join([str(record.get("title") or ""), names,
                                    str(record.get("container-title") or ""), year]))
        overlap = len(wanted & haystack)
        if overlap:
            scored.append((100.0 * overlap / max(len(wanted), 1), doi))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [{**csl_to_crossref(records[doi]), "score": score} for score, doi in scored[:rows]]


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


