"""A DOI's registered record: Crossref first, then doi.org for a DOI Crossref does not know.

Many DOIs are asked of Crossref in list queries (``/works?filter=doi:A,doi:B``, up to
:data:`~audit.sources.crossref.MAX_BATCH` a request, the URL kept short); a DOI not in the
answer (or all of a list whose query failed, or a DOI with a comma) is then asked singly,
``/works/{doi}``, then doi.org, before any verdict: ``not-found`` is only ever both 404s.

Every DOI ends as an :class:`~audit.model.Outcome`:

- ``ok``: a CSL JSON record whose DOI is the one asked for (``source`` says whose);
- ``not-found``: a true 404 from *both* Crossref and doi.org;
- ``unverified``: anything else (HTTP errors after bounded retries, time-outs, resets,
  truncated or non-JSON bodies, another DOI's record, redirect loops, the run's
  deadline). Network and protocol problems never raise.
"""

from __future__ import annotations

import asyncio
import dataclasses
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
                 doi_url: str = doi_org.DEFAULT_URL, batch_size: int = crossref.MAX_BATCH) -> None:
        self.client = client
        self.crossref = crossref.Crossref(client, crossref_url)
        self.doi_org = doi_org.DoiOrg(client, doi_url)
        self.batch_size = max(1, min(batch_size, crossref.MAX_BATCH))  # 1: every DOI singly

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
        outcomes: dict[str, Outcome] = {}
        asking: dict[str, list[str]] = {}  # each DOI to ask (normalised): the forms it was given in

        def report(outcome: Outcome, given: list[str]) -> None:
            """An outcome, for each form of the DOI given, as soon as it is known."""
            for form in given:
                outcomes[form] = dataclasses.replace(outcome, asked=form)
                if on_result is not None:
                    on_result(outcomes[form])
                if progress is not None:
                    progress(len(outcomes), len(wanted))

        for given in wanted:
            if (doi := normalize_doi(given).doi) is not None:
                asking.setdefault(doi, []).append(given)
            else:
                report(Outcome(given, "unverified", reason=f"not a DOI: {given!r}"), [given])
        unique = list(asking)
        listed = self.crossref.batches(unique, self.batch_size) if len(unique) > 1 else []
        in_lists = {doi for batch in listed for doi in batch}
        groups = [*listed, *([doi] for doi in unique if doi not in in_lists)]
        async with self.crossref.session() as session:

            async def singly(doi: str, before: int) -> None:
                trace = Trace(attempts=before)
                outcome = await self._one(session, doi, trace)
                report(outcome, asking.pop(doi, []))

            async def one(group: list[str], trace: Trace) -> None:
                if len(group) == 1:
                    return await singly(group[0], 0)
                found, _ = await self.crossref.works(session, group, trace)
                fetched = now_iso()
                for doi in group:
                    if (record := found.get(doi.lower())) is not None:
                        report(Outcome(doi, "ok", record=record, source=crossref.SOURCE,
                                       url=self.crossref.work_url(doi), fetched=fetched,
                                       attempts=trace.attempts), asking.pop(doi))
                # not in the answer (or no answer): asked singly before any verdict
                await asyncio.gather(*(singly(doi, trace.attempts) for doi in group
                                       if doi in asking))
                return None

            def late(group: list[str], reason: str, trace: Trace) -> None:
                for doi in group:
                    if doi in asking:
                        report(Outcome(doi, "unverified", reason=reason, attempts=trace.attempts),
                               asking.pop(doi))

            await self.client.each(groups, one, late, units=len(unique))
        return {given: outcomes[given] for given in wanted}

    async def _one(self, session: httpx.AsyncClient, doi: str, trace: Trace) -> Outcome:
        """One DOI (normalised) asked singly: Crossref, then doi.org."""

        def unverified(reason: str, url: str) -> Outcome:
            return Outcome(doi, "unverified", reason=reason, url=url, attempts=trace.attempts)

        asked = self.crossref.work_url(doi)
        response, problem = await self.crossref.work(session, doi, trace)
        if response is None:
            return unverified(problem or "no response", asked)
        if response.status_code == 200:
            return self._accept(doi, crossref.parse_work(response), asked, crossref.SOURCE,
                                trace)
        if response.status_code != 404:
            return unverified(f"HTTP {response.status_code} from {asked}", asked)

        negotiated = self.doi_org.csl_url(doi)
        response, problem = await self.doi_org.work(session, doi, trace)
        if response is None:
            return unverified(f"{problem} (after a Crossref 404)", negotiated)
        if response.status_code == 404:
            return Outcome(doi, "not-found", reason=f"HTTP 404 from {asked} and from {negotiated}",
                           url=negotiated, source=doi_org.SOURCE, fetched=now_iso(),
                           attempts=trace.attempts)
        if response.status_code != 200:
            return unverified(f"HTTP {response.status_code} from {negotiated} (after a Crossref 404)",
                              negotiated)
        return self._accept(doi, doi_org.parse_csl(response), negotiated, doi_org.SOURCE,
                            trace)

    @staticmethod
    def _accept(doi: str, parsed: tuple[dict[str, Any] | None, str | None], url: str,
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
            return Outcome(doi, "unverified", reason=f"{problem} from {url}", url=url,
                           attempts=trace.attempts)
        return Outcome(doi, "ok", record=record, source=source, url=url, fetched=now_iso(),
                       attempts=trace.attempts)
