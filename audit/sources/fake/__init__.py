"""A fake registrar: a real HTTP server on 127.0.0.1 speaking Crossref's REST format,
doi.org's content negotiation and handle API, PubMed's E-utilities ``esummary`` (for PubMed
and PMC), NCBI's PMC ID Converter and arXiv's export API.

For the tests, the benchmarks, and trying the audit offline (``nox -s fake-registrar``).

Routes
    ``/works?query.bibliographic=…&rows=N``  Crossref search: a work-list, best ``score`` first
                      (BM25 relevance: the nearest records even for a work it does not hold);
    ``/works?filter=doi:A,doi:B&rows=N&select=…``  Crossref's list query for DOIs: a
                      ``work-list`` (``message.items``, ``total-results``) of the records it has,
                      at most ``rows``, each with the fields ``select`` names; another filter: 400;
    ``/works/{doi}``  Crossref JSON (``{"status": "ok", "message-type": "work", ...}``),
                      404 with the plain-text body ``Resource not found.`` for unknown DOIs;
    ``/{doi}``        doi.org content negotiation: 302 to ``/doi/{doi}``;
    ``/doi/{doi}``    CSL JSON for ``Accept: application/vnd.citationstyles.csl+json``
                      (406 for other ``Accept`` values, 404 for unknown DOIs);
    ``/api/handles/10/{x}``  the DOI proxy's handle API for a shortDOI (``aliases``):
                      ``{"responseCode": 1, "values": [{"type": "HS_ALIAS", ...}]}``,
                      404 with ``{"responseCode": 100}`` for an unknown one;
    ``/entrez/eutils/esummary.fcgi?db=pubmed&id=1,2&retmode=json``  PubMed document summaries
                      (``{"header": …, "result": {"uids": [...], "<pmid>": {...}}}``), each made
                      from a CSL item (``pubmed``, by PMID; by default every record with a
                      ``PMID``); an unknown PMID gets ``{"uid", "error": "cannot get document
                      summary"}``; more than 200 ids, another ``db`` or ``retmode``: 400.
    ``/entrez/eutils/esearch.fcgi?db=pubmed&term=…&retmode=json&retmax=N``  PubMed's search
                      over the same records (``{"esearchresult": {"count", "idlist", …}}``,
                      see :func:`~audit.sources.fake.data.esearch`): ``ti``, ``1au``, ``au``,
                      ``dp``, ``ta`` fields joined by ``AND``; another ``db`` or ``retmode``: 400.
    ``/entrez/eutils/esummary.fcgi?db=pmc&id=1,2&retmode=json``  PMC document summaries (by
                      the PMCID's digits), each made from a CSL item (``pmc``, by PMCID; by
                      default every record, PubMed's included, with a ``PMCID``).
    ``/pmc/utils/idconv/v1.0/?ids=PMC1,PMC2&format=json``  the PMC ID Converter:
                      ``{"records": [{"pmcid", "pmid", "doi"}]}``, an unknown PMCID with
                      ``"status": "error", "errmsg": "invalid article id"``; more than 200 ids
                      or another format: 400.
    ``/api/query?id_list=2101.01234,…&max_results=N``  arXiv's Atom feed, an entry per
                      article it has (``arxiv``, by identifier without version; by default
                      every record whose ``URL``, ``number`` or DOI names one), made from CSL
                      items; an unknown identifier gets no entry, as arXiv answers; a malformed
                      one a 400 error feed (``incorrect id format for …``); without
                      ``max_results``, at most 10 entries.

Scenarios, per DOI (a :class:`Scenario` or its string form)
    ``latency:<s>``         answer after ``s`` seconds;
    ``429`` / ``429xN``     429 with ``Retry-After: 1`` for the first request / first N, then OK;
    ``500`` ``502`` ``503`` always that status (503 with ``Retry-After: 1``);
    ``500xN`` ...           that status for the first N requests, then OK;
    ``...@<v>``             override Retry-After: ``@0``, ``@2``, ``@none`` (no header) or
                            ``@date`` (an HTTP date 1 s ahead);
    ``reset``               close the socket with an RST, no response;
    ``hang`` / ``hang:<s>`` send the headers and half the body, then stall (30 s by default);
    ``truncated``           a Content-Length larger than the body sent, then close;
    ``partial-json``        200 with the first half of the body, whole (Content-Length matches);
    ``invalid-json``        200 with a broken JSON body;
    ``html200``             200 with an HTML error page (text/html);
    ``wrong-doi``           a valid record for another DOI;
    ``redirect-loop``       302 to itself, forever;
    ``404``                 404 from both Crossref and doi.org routes;
    ``crossref-404``        404 from ``/works/``, the record from doi.org content negotiation;
    ``retracted``           the record carries an ``updated-by`` retraction from Retraction Watch.

In a list query, a DOI's fault (a status, ``reset``, ``hang``, ``truncated``,
``partial-json``, ``invalid-json``, ``html200``, ``latency``) is the whole answer's; a DOI
Crossref does not answer for (``404``, ``crossref-404``, ``wrong-doi``, ``redirect-loop``)
is left out of it, its scenario applying when it is asked singly.

Scenarios keyed by a PMID apply to every esummary request that names it: the status kinds,
``latency``, ``reset``, ``invalid-json`` and ``html200``; keyed by a PMCID (``PMC123``), to
every ID Converter and PMC esummary request that names it; keyed by an arXiv identifier
(without version), to every arXiv request that names it (``invalid-json``: broken XML).

With ``rate_limit`` the server advertises ``X-Rate-Limit-Limit`` / ``X-Rate-Limit-Interval``
and answers 429 + ``Retry-After`` once more than ``rate_limit`` requests arrive in any
``rate_interval`` seconds; Crossref's list queries (``/works?…``) are counted apart, against
``list_rate_limit`` (by default ``rate_limit``), which their answers advertise. With
``concurrency_limit`` it advertises ``X-Concurrency-Limit`` and answers 429 + ``Retry-After:
1`` to a request that arrives while that many are in flight.

By hand::

    python -m audit.sources.fake --records references.json [--scenarios s.json] \
        [--port 8765] [--rate-limit 10] [--list-rate-limit 3] [--concurrency-limit 3] \
        [--latency 0.1]
"""

from __future__ import annotations

from audit.sources.fake.data import (
    RETRACTION_NOTICE,
    Scenario,
    aliases_from_citations_tsv,
    arxiv_from_csl,
    pmc_from_csl,
    pubmed_from_csl,
    records_from_csl,
)
from audit.sources.fake.server import FakeRegistrar

__all__ = ["RETRACTION_NOTICE", "FakeRegistrar", "Scenario", "aliases_from_citations_tsv",
           "arxiv_from_csl", "pmc_from_csl", "pubmed_from_csl", "records_from_csl"]
