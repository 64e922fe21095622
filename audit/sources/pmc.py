"""PMC: a PMCID's record, from NCBI's PMC ID Converter and E-utilities, as a PMID's is
from PubMed.

:class:`PMC` asks, for up to 200 PMCIDs at once, NCBI's ID Converter which PMID and DOI
each PMCID names::

    GET {base}/pmc/utils/idconv/v1.0/?ids=PMC1,PMC2&format=json&tool=manuscript-audit&email=…
    {"status": "ok", "records": [{"pmcid": "PMC1", "pmid": "…", "doi": "…"},
                                 {"pmcid": "PMC2", "status": "error", "errmsg": "invalid article id"}]}

then E-utilities' ``esummary`` for the record of those it knows (title, authors, journal,
year, volume, issue, pages; PubMed's JSON shape, keyed by the PMCID's digits)::

    GET {eutils}/entrez/eutils/esummary.fcgi?db=pmc&id=1&retmode=json&tool=…&email=…&api_key=…

Only the ID Converter's "invalid article id" (or "not found") is ``not-found``; any other
answer that is not a record is ``unverified``, never an exception. Both hosts are NCBI's:
their requests share PubMed's limiter (NCBI's documented 3 requests a second, 10 with an
API key), so that PubMed and PMC together keep within it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from audit.identifiers import normalize_doi, normalize_pmcid, normalize_pmid
from audit.model import Outcome, Status, now_iso
from audit.sources import pubmed
from audit.sources.http import Client, Trace, load_json, run_sync
from audit.sources.pubmed import ESUMMARY_PATH, KEYED_LIMIT, LIMIT

__all__ = ["PMC", "csl_to_summary", "idconv_record", "summary_to_csl"]

DEFAULT_URL = "https://www.ncbi.nlm.nih.gov"
IDCONV_PATH = "/pmc/utils/idconv/v1.0/"
SOURCE = "pmc"
MAX_BATCH = 200  # the ID Converter: up to 200 ids a request (esummary too)
NOT_FOUND = re.compile(r"invalid article id|not found|does not exist", re.IGNORECASE)
# esummary fields of PubMed's that PMC's summaries do not have
_PUBMED_ONLY = ("epubdate", "lang", "issn", "essn", "pubtype", "references", "recordstatus",
                "pubstatus", "elocationid", "doctype", "sortfirstauthor", "lastauthor", "sorttitle",
                "sortpubdate")


# --------------------------------------------------------------------------- conversion


def _ids(summary: Mapping[str, Any]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for entry in summary.get("articleids") or []:
        if isinstance(entry, Mapping) and entry.get("idtype") and entry.get("value"):
            ids.setdefault(str(entry["idtype"]).lower(), str(entry["value"]))
    return ids


def summary_to_csl(summary: Mapping[str, Any], pmcid: str, pmid: str | None = None,
                   doi: str | None = None) -> dict[str, Any]:
    """A PMC document summary (``esummary``, ``db=pmc``) as a CSL JSON item, read as
    PubMed's are (:func:`audit.sources.pubmed.esummary_to_csl`), with ``PMCID`` the
    PMCID, and ``PMID`` and ``DOI`` the ID Converter's (``pmid``, ``doi``), else those
    the summary lists."""
    record = pubmed.esummary_to_csl(summary)
    del record["PMID"]  # esummary_to_csl reads the uid as a PMID: here it is the PMCID's digits
    ids = _ids(summary)
    pmid = pmid or normalize_pmid(ids.get("pmid", ""))
    if pmid:
        record["PMID"] = pmid
    if doi := doi or normalize_doi(ids.get("doi", "")).doi:
        record["DOI"] = doi
    record["PMCID"] = pmcid
    return record


def csl_to_summary(item: Mapping[str, Any], pmcid: str) -> dict[str, Any]:
    """The inverse of :func:`summary_to_csl`: a PMC document summary from CSL JSON, in
    esummary's shape (as PubMed's, keyed by the PMCID's digits, with PMC's article ids)."""
    uid = pmcid[3:]
    summary = pubmed.csl_to_esummary(item, uid)
    for key in _PUBMED_ONLY:
        summary.pop(key, None)
    ids = [{"idtype": "pmcid", "idtypen": 5, "value": pmcid}]
    if pmid := normalize_pmid(str(item.get("PMID") or "")):
        ids.insert(0, {"idtype": "pmid", "idtypen": 1, "value": pmid})
    if item.get("DOI"):
        ids.append({"idtype": "doi", "idtypen": 3, "value": str(item["DOI"])})
    summary["articleids"] = ids
    summary["sortdate"] = summary.get("pubdate", "")
    return summary


def idconv_record(item: Mapping[str, Any] | None, pmcid: str) -> dict[str, str]:
    """The ID Converter's record for a PMCID: its PMID and DOI from CSL JSON (``item``),
    or, for ``None``, its error for an unknown PMCID."""
    if item is None:
        return {"pmcid": pmcid, "requested-id": pmcid, "live": "false", "status": "error",
                "errmsg": "invalid article id"}
    record = {"pmcid": pmcid}
    if pmid := normalize_pmid(str(item.get("PMID") or "")):
        record["pmid"] = pmid
    if item.get("DOI"):
        record["doi"] = str(item["DOI"])
    return record


# --------------------------------------------------------------------------- answers


def _outcome(pmcid: str, status: Status, url: str, reason: str | None = None,
             record: dict[str, Any] | None = None, fetched: str | None = None) -> Outcome:
    return Outcome(pmcid, status, record=record, reason=reason, source=SOURCE, url=url,
                   fetched=fetched)


def _each(pmcids: Iterable[str], status: Status, reason: str, url_of: Callable[[str], str]
          ) -> dict[str, Outcome]:
    return {p: _outcome(p, status, url_of(p), reason) for p in pmcids}


def parse_idconv(response: httpx.Response, pmcids: list[str], url_of: Callable[[str], str],
                 shown: str) -> tuple[dict[str, tuple[str | None, str | None]], dict[str, Outcome]]:
    """The ID Converter's answer (status 200) for ``pmcids``: ``({pmcid: (pmid, doi)}`` of
    those it knows, ``{pmcid: outcome}`` of the others)."""
    data, problem = load_json(response)
    records = data.get("records") if isinstance(data, dict) else None
    if problem is None and not isinstance(records, list):
        said = data.get("message") or data.get("status") if isinstance(data, dict) else None
        problem = "unexpected ID Converter answer" + (f" ({said})" if said else " (no 'records')")
    if problem is not None or not isinstance(records, list):
        return {}, _each(pmcids, "unverified", f"{problem} from {shown}", url_of)
    by_pmcid: dict[str, Mapping[str, Any]] = {}
    for record in records:
        if isinstance(record, Mapping):
            named = normalize_pmcid(str(record.get("pmcid") or record.get("requested-id") or ""))
            if named:
                by_pmcid.setdefault(named, record)
    known: dict[str, tuple[str | None, str | None]] = {}
    failed: dict[str, Outcome] = {}
    fetched = now_iso()
    for pmcid in pmcids:
        record = by_pmcid.get(pmcid)
        url = url_of(pmcid)
        if record is None:
            failed[pmcid] = _outcome(pmcid, "unverified", url,
                                     f"the ID Converter's answer has no record for {pmcid} ({shown})")
        elif str(record.get("status") or "").lower() == "error" or record.get("errmsg"):
            message = str(record.get("errmsg") or "error")
            # only NCBI's word for "no such article" is a verdict; any other error is not
            unknown = bool(NOT_FOUND.search(message))
            failed[pmcid] = _outcome(pmcid, "not-found" if unknown else "unverified", url,
                                     f"PMC ID Converter: {message} ({url})",
                                     fetched=fetched if unknown else None)
        else:
            known[pmcid] = (normalize_pmid(str(record.get("pmid") or "")),
                            normalize_doi(str(record.get("doi") or "")).doi)
    return known, failed


def parse_summaries(response: httpx.Response, known: Mapping[str, tuple[str | None, str | None]],
                    url_of: Callable[[str], str], shown: str) -> dict[str, Outcome]:
    """Each known PMCID's outcome from one esummary answer (``db=pmc``, status 200)."""
    data, problem = load_json(response)
    result = data.get("result") if isinstance(data, dict) else None
    if problem is None and not isinstance(result, dict):
        said = data.get("error") or data.get("esummaryresult") if isinstance(data, dict) else None
        problem = "unexpected esummary answer" + (f" ({said})" if said else " (no 'result')")
    if problem is not None or not isinstance(result, dict):
        return _each(known, "unverified", f"{problem} from {shown}", url_of)
    fetched = now_iso()
    out = {}
    for pmcid, (pmid, doi) in known.items():
        url, uid = url_of(pmcid), pmcid[3:]
        summary = result.get(uid)
        if not isinstance(summary, Mapping) or summary.get("error"):
            said = f": {summary['error']}" if isinstance(summary, Mapping) else ""
            out[pmcid] = _outcome(pmcid, "unverified", url,
                                  f"PMC has no summary for {pmcid}{said}, although the ID "
                                  f"Converter knows it ({url})")
        elif str(summary.get("uid") or uid) != uid:
            out[pmcid] = _outcome(pmcid, "unverified", url,
                                  f"PMC answered for another article (uid {summary.get('uid')}) ({url})")
        else:
            try:
                record = summary_to_csl(summary, pmcid, pmid, doi)
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                out[pmcid] = _outcome(pmcid, "unverified", url,
                                      f"unexpected esummary answer ({type(exc).__name__}: {exc}) ({url})")
                continue
            out[pmcid] = _outcome(pmcid, "ok", url, record=record, fetched=fetched)
    return out


# --------------------------------------------------------------------------- requests


class PMC:
    """PMC's records for PMCIDs: the ID Converter at ``url``, E-utilities at ``eutils_url``,
    with ``client``'s HTTP policy, paced by PubMed's limiter (NCBI's limit, more with an
    ``api_key``)."""

    def __init__(self, client: Client, url: str = DEFAULT_URL, eutils_url: str = pubmed.DEFAULT_URL,
                 api_key: str | None = None, batch_size: int = MAX_BATCH) -> None:
        self.client = client
        self.url = url.rstrip("/")
        self.eutils_url = eutils_url.rstrip("/")
        self.api_key = api_key or None
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.limit = KEYED_LIMIT if self.api_key else LIMIT

    def idconv_url_for(self, pmcids: Iterable[str]) -> str:
        """The ID Converter's URL for these PMCIDs, as shown (no tool or e-mail)."""
        query = urlencode({"ids": ",".join(pmcids), "format": "json"}, safe=",")
        return f"{self.url}{IDCONV_PATH}?{query}"

    def url_for(self, pmcids: Iterable[str]) -> str:
        """The esummary URL (``db=pmc``) for these PMCIDs, as shown and locked (no tool,
        e-mail or key)."""
        query = urlencode({"db": "pmc", "id": ",".join(p[3:] for p in pmcids), "retmode": "json"},
                          safe=",")
        return f"{self.eutils_url}{ESUMMARY_PATH}?{query}"

    @property
    def credentials(self) -> dict[str, str]:
        """NCBI's ``tool`` and ``email`` parameters (and, for E-utilities, ``api_key``)."""
        return pubmed.ncbi_credentials(self.client, self.api_key)

    def fetch_many(self, pmcids: Iterable[str]) -> dict[str, Outcome]:
        """Every PMCID's outcome, keyed by the PMCID as given."""
        return run_sync(self.afetch_many(pmcids))

    async def afetch_many(self, pmcids: Iterable[str]) -> dict[str, Outcome]:
        # PubMed's limiter: one NCBI limit for E-utilities and the ID Converter together
        limiter = self.client.limiter(self.eutils_url, documented=(self.limit, 1.0))
        idconv_params = {k: v for k, v in self.credentials.items() if k != "api_key"}
        async with self.client.session(idconv_params) as idconv, \
                self.client.session(self.credentials) as eutils:

            async def one(batch: list[str], trace: Trace) -> dict[str, Outcome]:
                url = self.idconv_url_for(batch)
                response, problem = await self.client.get(idconv, limiter, url, "application/json",
                                                          trace)
                if response is None:
                    return _each(batch, "unverified", problem or f"no response from {url}", self._own)
                if response.status_code != 200:
                    return _each(batch, "unverified", f"HTTP {response.status_code} from {url}",
                                 self._own)
                known, out = parse_idconv(response, batch, self._idconv_own, url)
                if not known:
                    return out
                url = self.url_for(known)
                response, problem = await self.client.get(eutils, limiter, url, "application/json",
                                                          trace)
                if response is None:
                    return {**out, **_each(known, "unverified", problem or f"no response from {url}",
                                           self._own)}
                if response.status_code != 200:
                    return {**out, **_each(known, "unverified", f"HTTP {response.status_code} from {url}",
                                           self._own)}
                return {**out, **parse_summaries(response, known, self._own, url)}

            def late(batch: list[str], reason: str, trace: Trace) -> dict[str, Outcome]:
                return _each(batch, "unverified", reason, self._own)

            return await self.client.each_batch(
                pmcids, normalize_pmcid, self.batch_size, one, late,
                lambda p: Outcome(p, "unverified", reason=f"not a PMCID: {p!r}", source=SOURCE),
                concurrency=min(self.client.max_concurrency, self.limit))

    def _own(self, pmcid: str) -> str:
        """A PMCID's own esummary URL (what is locked as its source)."""
        return self.url_for([pmcid])

    def _idconv_own(self, pmcid: str) -> str:
        return self.idconv_url_for([pmcid])
