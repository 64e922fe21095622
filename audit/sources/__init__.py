"""Stage 3b, the network: registrars and databases asked for what the lock does not hold.

One module per source, all on one HTTP layer (:mod:`~audit.sources.http`: pacing, a
concurrency cap per host, retries, giving up an unreachable host, a deadline), each
answer an :class:`~audit.model.Outcome`:

- :mod:`~audit.sources.crossref`: a DOI's record, many DOIs' in one list query, and
  bibliographic search;
- :mod:`~audit.sources.doi_org`: a DOI's record by content negotiation, shortDOIs;
- :mod:`~audit.sources.registrar`: a DOI's record, Crossref first, then doi.org;
- :mod:`~audit.sources.pubmed`: a PMID's record (NCBI E-utilities);
- :mod:`~audit.sources.pmc`: a PMCID's record (NCBI's PMC ID Converter, then E-utilities);
- :mod:`~audit.sources.arxiv`: an arXiv identifier's record (arXiv's export API).

:class:`Sources` holds one of each, configured from :class:`Settings`. A new source is a
new module and a field here; :mod:`audit.refresh` asks it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from audit.errors import InputError
from audit.sources import arxiv, crossref, doi_org, pmc, pubmed
from audit.sources.arxiv import ArXiv
from audit.sources.http import DEFAULT_CONCURRENCY, Client
from audit.sources.pmc import PMC
from audit.sources.pubmed import PubMed
from audit.sources.registrar import Registrar

__all__ = ["Settings", "Sources"]


# each setting's environment variable
ENVIRONMENT = {"crossref_url": "AUDIT_CROSSREF_URL", "doi_url": "AUDIT_DOI_URL",
               "pubmed_url": "AUDIT_PUBMED_URL", "pmc_url": "AUDIT_PMC_URL",
               "arxiv_url": "AUDIT_ARXIV_URL", "mailto": "AUDIT_MAILTO",
               "ncbi_api_key": "NCBI_API_KEY", "max_concurrency": "AUDIT_MAX_CONCURRENCY"}


@dataclass(frozen=True)
class Settings:
    """Where each source is and how to ask it (command-line options win over the environment)."""

    crossref_url: str = crossref.DEFAULT_URL
    doi_url: str = doi_org.DEFAULT_URL
    pubmed_url: str = pubmed.DEFAULT_URL
    pmc_url: str = pmc.DEFAULT_URL  # NCBI's PMC ID Converter (PMC's records: pubmed_url's esummary)
    arxiv_url: str = arxiv.DEFAULT_URL
    mailto: str | None = None  # the contact address: Crossref's polite pool, NCBI's email
    ncbi_api_key: str | None = None
    timeout: float = 10.0
    # requests in flight to one host at most (fewer if it says so, one fewer after each 429)
    max_concurrency: int = DEFAULT_CONCURRENCY

    def __post_init__(self) -> None:
        if isinstance(self.max_concurrency, bool) or not isinstance(self.max_concurrency, int) \
                or self.max_concurrency < 1:
            raise InputError(f"the concurrency cap must be a whole number of at least 1, not "
                             f"{self.max_concurrency!r} ({ENVIRONMENT['max_concurrency']}, "
                             "--max-concurrency)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **given: object) -> Settings:
        """Settings from the environment (``AUDIT_CROSSREF_URL``, ``AUDIT_DOI_URL``,
        ``AUDIT_PUBMED_URL``, ``AUDIT_PMC_URL``, ``AUDIT_ARXIV_URL``, ``AUDIT_MAILTO``,
        ``NCBI_API_KEY``, ``AUDIT_MAX_CONCURRENCY``); arguments that are not ``None`` win."""
        env = os.environ if env is None else env
        values: dict[str, object] = {name: env[var] for name, var in ENVIRONMENT.items()
                                     if env.get(var)}
        if isinstance(count := values.get("max_concurrency"), str):
            values["max_concurrency"] = int(count) if count.strip().isdigit() else count
        values.update({k: v for k, v in given.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**values)  # type: ignore[arg-type]


class Sources:
    """Every source, sharing one HTTP client (so that one limit per host paces them all)."""

    def __init__(self, settings: Settings, *, total_deadline: float = 120.0,
                 deadline_per_item: float = 0.0) -> None:
        self.settings = settings
        self.client = Client(mailto=settings.mailto, timeout=settings.timeout,
                             max_concurrency=settings.max_concurrency,
                             total_deadline=total_deadline, deadline_per_item=deadline_per_item)
        self.registrar = Registrar(self.client, settings.crossref_url, settings.doi_url)
        self.pubmed = PubMed(self.client, settings.pubmed_url, api_key=settings.ncbi_api_key)
        self.pmc = PMC(self.client, settings.pmc_url, eutils_url=settings.pubmed_url,
                       api_key=settings.ncbi_api_key)
        self.arxiv = ArXiv(self.client, settings.arxiv_url)
