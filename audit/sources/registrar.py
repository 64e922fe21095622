"""A DOI's registered record: Crossref first, then doi.org for a DOI Crossref does not know.

Every DOI ends as an :class:`~audit.model.Outcome`:

- ``ok``: a CSL JSON record whose DOI is the one asked for (``source`` says whose);
- ``not-found``: a true 404 from *both* Crossref and doi.org;
- ``unverified``: anything else (HTTP errors after bounded retries, time-outs, resets,
  truncated or non-JSON bodies, another DOI's record, redirect loops, the run's
  deadline). Network and protocol problems never raise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpx

from audit.identifiers import normalize_doi
from audit.model import Outcome, now_iso
from audit.sources import crossref, doi_org
from audit.sources.http import Client, Trace, run_sync

__all__ = ["Registrar"]


class Registrar:
    """DOIs looked up at Crossref (``crossref_url``), then at doi.org (``doi_url``)."""

    def __init__(self, client: Client, crossref_url: str = crossref.DEFAULT_URL,
                 doi_url: str = doi_org.DEFAULT_URL) -> None:
        self.client = client
        self.crossref = crossref.Crossref(client, crossref_url)
        self.doi_org = doi_org.DoiOrg(client, doi_url)

    def fetch(self, doi: str) -> Outcome:
        """One DOI's outcome (see :meth:`fetch_many`)."""
        return self.fetch_many([doi])[doi]

    def fetch_many(self, dois: Iterable[str], progress: Callable[[int, int], None] | None = None,
                   on_result: Callable[[Outcome], None] | None = None) -> dict[str, Outcome]:
        """Every DOI's outcome, keyed by the DOI as given. ``progress(done, total)`` is called
        after each DOI, ``on_result(outcome)`` as soon as each is known (so that a caller can
        save work as it goes)."""
        return run_sync(self.afetch_many(dois, progress, on_result))

    async def afetch_many(self, dois: Iterable[str], progress: Callable[[int, int], None] | None = None,
                          on_result: Callable[[Outcome], None] | None = None) -> dict[str, Outcome]:
        wanted = list(dict.fromkeys(dois))
        async with self.crossref.session() as session:

            async def one(doi: str, trace: Trace) -> Outcome:
                return await self._one(session, doi, trace)

            def late(doi: str, reason: str, trace: Trace) -> Outcome:
                return Outcome(doi, "unverified", reason=reason, attempts=trace.attempts)

            outcomes = await self.client.each(wanted, one, late, on_result=on_result,
                                              progress=progress)
        return {o.asked: o for o in outcomes}

    async def _one(self, session: httpx.AsyncClient, given: str, trace: Trace) -> Outcome:
        doi = normalize_doi(given).doi
        if doi is None:
            return Outcome(given, "unverified", reason=f"not a DOI: {given!r}")

        def unverified(reason: str, url: str) -> Outcome:
            return Outcome(given, "unverified", reason=reason, url=url, attempts=trace.attempts)

        asked = self.crossref.work_url(doi)
        response, problem = await self.crossref.work(session, doi, trace)
        if response is None:
            return unverified(problem or "no response", asked)
        if response.status_code == 200:
            return self._accept(given, doi, crossref.parse_work(response), asked, crossref.SOURCE,
                                trace)
        if response.status_code != 404:
            return unverified(f"HTTP {response.status_code} from {asked}", asked)

        negotiated = self.doi_org.csl_url(doi)
        response, problem = await self.doi_org.work(session, doi, trace)
        if response is None:
            return unverified(f"{problem} (after a Crossref 404)", negotiated)
        if response.status_code == 404:
            return Outcome(given, "not-found", reason=f"HTTP 404 from {asked} and from {negotiated}",
                           url=negotiated, source=doi_org.SOURCE, fetched=now_iso(),
                           attempts=trace.attempts)
        if response.status_code != 200:
            return unverified(f"HTTP {response.status_code} from {negotiated} (after a Crossref 404)",
                              negotiated)
        return self._accept(given, doi, doi_org.parse_csl(response), negotiated, doi_org.SOURCE,
                            trace)

    @staticmethod
    def _accept(given: str, doi: str, parsed: tuple[dict[str, Any] | None, str | None], url: str,
                source: str, trace: Trace) -> Outcome:
        """The parsed answer as the DOI's record, if it is a record of that DOI."""
        record, problem = parsed
        if record is not None:
            answered = str(record.get("DOI") or "")
            if not answered:
                problem = "registrar answered without a DOI"
            elif answered.lower() != doi.lower():
                problem = f"registrar answered for a different DOI ({answered})"
        if problem is not None or record is None:
            return Outcome(given, "unverified", reason=f"{problem} from {url}", url=url,
                           attempts=trace.attempts)
        return Outcome(given, "ok", record=record, source=source, url=url, fetched=now_iso(),
                       attempts=trace.attempts)
