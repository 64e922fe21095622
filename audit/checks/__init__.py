"""Stage 4, checks: inputs, works and what the sources (or the lock) said in; findings out.

One module per concern, each a few functions returning lists of
:class:`~audit.model.Finding`; none fetches anything. :func:`run_checks` runs those
that need only the inputs, the works and the answers, in report order. A new check is
a module here and a line in :func:`run_checks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from audit.checks.arxiv import check_arxiv, confirmed_arxiv
from audit.checks.citations import check_citations
from audit.checks.duplicates import check_duplicates
from audit.checks.existence import check_existence, found_by_search, settled_by_search
from audit.checks.identifiers import check_identifier_keys, check_identifiers, checked_instead
from audit.checks.pmc import check_pmc, confirmed_pmcids, settled_by_pmc
from audit.checks.pubmed import check_pubmed, checked_through_pmid
from audit.checks.registrar import check_registrar
from audit.model import Finding, Inputs, Outcome, Work

__all__ = ["run_checks"]


def run_checks(inputs: Inputs, works: list[Work], dois: Mapping[str, Outcome],
               pmids: Mapping[str, Outcome], extra: Iterable[Finding] = (),
               arxiv: Mapping[str, Outcome] | None = None,
               pmc: Mapping[str, Outcome] | None = None, strict: bool = False) -> list[Finding]:
    """Every check, in report order. ``dois``, ``pmids``, ``arxiv`` and ``pmc`` are what the
    registrar, PubMed, arXiv and PMC said (or the lock holds) by identifier; ``extra``:
    findings of the stages before (identifying the works, the printed list, the built
    outputs); ``strict``: a reference the registrars' searches do not find is an error."""
    extra = list(extra)
    arxiv, pmc = arxiv or {}, pmc or {}
    registrar = check_registrar(works, dois)
    against_pubmed = check_pubmed(works, pmids, dois, [*extra, *registrar])
    against_pmc = check_pmc(works, pmc, dois, pmids, [*extra, *registrar, *against_pubmed])
    against_arxiv = check_arxiv(works, arxiv, dois, pmids,
                                [*extra, *registrar, *against_pubmed, *against_pmc])
    found = [*check_citations(inputs), *check_identifiers(works), *check_identifier_keys(inputs),
             *check_duplicates(works), *check_existence(works, strict), *extra, *registrar,
             *against_pubmed, *against_pmc, *against_arxiv]
    found = checked_through_pmid(settled_by_search(found, works), works, pmids)
    found = checked_instead(found, {
        **{key: f"arXiv's record for {a}" for key, a in confirmed_arxiv(works, arxiv).items()},
        **{key: f"PMC's record for {p}" for key, p in confirmed_pmcids(works, pmc).items()},
        **{key: f"the record of {doi}, found by the registrars' search,"
           for key, doi in found_by_search(works).items()
           if (said := dois.get(doi)) is not None and said.status == "ok"}})
    return settled_by_pmc(found, works, pmc)
