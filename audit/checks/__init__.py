"""Stage 4, checks: inputs, works and what the sources (or the lock) said in; findings out.

One module per concern, each a few functions returning lists of
:class:`~audit.model.Finding`; none fetches anything. :func:`run_checks` runs those
that need only the inputs, the works and the answers, in report order. A new check is
a module here and a line in :func:`run_checks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from audit.checks.citations import check_citations
from audit.checks.duplicates import check_duplicates
from audit.checks.identifiers import check_identifiers
from audit.checks.pubmed import check_pubmed, checked_through_pmid
from audit.checks.registrar import check_registrar
from audit.model import Finding, Inputs, Outcome, Work

__all__ = ["run_checks"]


def run_checks(inputs: Inputs, works: list[Work], dois: Mapping[str, Outcome],
               pmids: Mapping[str, Outcome], extra: Iterable[Finding] = ()) -> list[Finding]:
    """Every check, in report order. ``dois`` and ``pmids`` are what the registrar and
    PubMed said (or the lock holds) by identifier; ``extra``: findings of the stages before
    (identifying the works, the printed list, the built outputs)."""
    extra = list(extra)
    registrar = check_registrar(works, dois)
    against_pubmed = check_pubmed(works, pmids, dois, [*extra, *registrar])
    found = [*check_citations(inputs), *check_identifiers(works), *check_duplicates(works),
             *extra, *registrar, *against_pubmed]
    return checked_through_pmid(found, works, pmids)
