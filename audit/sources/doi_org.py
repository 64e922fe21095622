"""doi.org: a DOI's record by content negotiation (CSL JSON, for DOIs that are not
Crossref's), and the DOI a shortDOI stands for (the DOI proxy's handle API).

A shortDOI (``10/abcd``, often a Manubot key such as ``@doi:10/gddkhn``) is a handle
whose ``HS_ALIAS`` value is the full DOI::

    GET {base}/api/handles/10/abcd?type=HS_ALIAS
    {"responseCode": 1, "values": [{"type": "HS_ALIAS", "data": {"value": "10.x/y"}}]}

response code 100 is "no such handle", 200 "no value of that type".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import httpx

from audit.identifiers import normalize_doi, normalize_short_doi
from audit.model import Outcome, Status
from audit.sources.http import Client, Trace, load_json, run_sync

__all__ = ["CSL_JSON", "DEFAULT_URL", "DoiOrg", "parse_csl"]

DEFAULT_URL = "https://doi.org"
SOURCE = "doi.org"
CSL_JSON = "application/vnd.citationstyles.csl+json"


def parse_csl(response: httpx.Response) -> tuple[dict[str, Any] | None, str | None]:
    """The CSL JSON record in a 200 answer to content negotiation, or why there is none."""
    data, problem = load_json(response)
    if problem is not None:
        return None, problem
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        return None, "unexpected CSL JSON (not an object)"
    return data, None


def _alias(response: httpx.Response) -> tuple[Status, str | None, str | None]:
    """(status, full DOI, why not) from a handle-API answer."""
    try:
        body = response.json()
    except ValueError:
        return "unverified", None, "not JSON"
    if not isinstance(body, dict):
        return "unverified", None, "not a handle record"
    code = body.get("responseCode")
    if code in (100, 200):
        return "not-found", None, f"response code {code}: no such handle, or not an alias"
    if code != 1:
        return "unverified", None, f"response code {code!r}"
    for value in body.get("values") or []:
        data = value.get("data") if isinstance(value, dict) else None
        if value.get("type") == "HS_ALIAS" and isinstance(data, dict):
            target = normalize_doi(str(data.get("value") or "")).doi
            if target is not None:
                return "ok", target, None
    return "not-found", None, "a handle that is not an alias of a DOI"


class DoiOrg:
    """doi.org at ``url``, with ``client``'s HTTP policy."""

    def __init__(self, client: Client, url: str = DEFAULT_URL) -> None:
        self.client = client
        self.url = url.rstrip("/")

    def csl_url(self, doi: str) -> str:
        return f"{self.url}/{quote(doi, safe='/')}"

    async def work(self, session: httpx.AsyncClient, doi: str, trace: Trace
                   ) -> tuple[httpx.Response | None, str | None]:
        """doi.org's answer for one DOI, asked for CSL JSON (any status), or why there is none."""
        return await self.client.get(session, self.client.limiter(self.url), self.csl_url(doi),
                                     CSL_JSON, trace)

    def expand_many(self, shorts: Iterable[str]) -> dict[str, Outcome]:
        """The full DOI each shortDOI (``10/abcd``) stands for, keyed by the shortDOI as given:
        ``ok`` with ``record`` ``{"DOI": full DOI}``, ``not-found`` (no such handle, or not an
        alias), or ``unverified``."""
        return run_sync(self._expand_many(list(dict.fromkeys(shorts))))

    async def _expand_many(self, shorts: list[str]) -> dict[str, Outcome]:
        limiter = self.client.limiter(self.url)
        async with self.client.session() as session:  # the handle API takes no mailto

            async def one(short: str, trace: Trace) -> Outcome:
                handle = normalize_short_doi(short) or short.strip().lower()
                url = f"{self.url}/api/handles/{quote(handle, safe='/')}?type=HS_ALIAS"
                response, problem = await self.client.get(session, limiter, url,
                                                          "application/json", trace)
                if response is None:
                    return Outcome(short, "unverified", reason=problem, source=SOURCE, url=url)
                if response.status_code == 404:
                    return Outcome(short, "not-found", reason=f"HTTP 404 from {url}", source=SOURCE,
                                   url=url)
                if response.status_code != 200:
                    return Outcome(short, "unverified", source=SOURCE, url=url,
                                   reason=f"HTTP {response.status_code} from {url}")
                status, target, problem = _alias(response)
                return Outcome(short, status, record={"DOI": target} if target else None,
                               source=SOURCE, url=url,
                               reason=f"{problem} ({url})" if problem else None)

            def late(short: str, reason: str, trace: Trace) -> Outcome:
                return Outcome(short, "unverified", reason=reason, source=SOURCE)

            outcomes = await self.client.each(shorts, one, late)
        return {o.asked: o for o in outcomes}
