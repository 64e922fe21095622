"""The HTTP policy every source shares: pacing, a concurrency cap, retries, a deadline.

- **Pacing**: one :class:`RateLimiter` per host, shared by every request to it, that
  follows the limit the host advertises (``X-Rate-Limit-Limit`` / ``-Interval``) or the
  limit a source documents (NCBI's), a little under it;
  a host's list queries (``lists=True``) paced apart from its single lookups, since a
  host may limit them apart (Crossref's pools for lists and for single records);
- **concurrency**: at most ``max_concurrency`` requests in flight to one host (one
  :class:`Host`, shared by every request to it), fewer when the host advertises fewer
  (``X-Concurrency-Limit``), one fewer after each 429;
- **retries**: 429 and 5xx answers, resets and time-outs are retried (``max_retries``
  attempts per URL) with exponential back-off, honouring ``Retry-After``;
- **fail fast**: after ``FAIL_FAST_AFTER`` connection failures in a row to one host
  (refused, DNS, TLS, connect time-out) the host is given up for the run: every request
  still waiting for it ends at once with the reason, none is sent;
- **deadline**: a run of requests ends after ``total_deadline`` seconds plus
  ``deadline_per_item`` for each thing asked; what is left is ``unverified``.

Network and protocol problems never raise: :meth:`Client.get` gives a response or the
reason there is none, and every source turns that into an :class:`~audit.model.Outcome`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import random
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from audit import __version__

T = TypeVar("T")
R = TypeVar("R")

MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0  # never sleep longer than this on one Retry-After
INITIAL_LIMIT = (5, 1.0)  # (requests, per seconds) until a response advertises a limit
UNADVERTISED_LIMIT = (20, 1.0)  # when the server answers without advertising a limit
SCHEDULE_GUARD = 0.03  # the schedule's L-1 requests take this much longer than the window
CATCH_UP = 2  # slots a late schedule may make up at once
MAX_SPARE = 5  # at most this many requests of a window left unused after 429s
RESCHEDULE_CHECK = 0.05  # seconds: how often a request waiting for its slot looks for a new limit
# requests in flight to one host unless set otherwise: below the 5 Crossref allows in its polite
# pool (its public pool allows 1, advertised as X-Concurrency-Limit, which lowers this)
DEFAULT_CONCURRENCY = 3
FAIL_FAST_AFTER = 3  # connection failures in a row after which a host is given up for the run


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on an event loop of its own (in a worker thread when called from
    inside a running loop) and return its result."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), MAX_RETRY_AFTER)


def _interval_seconds(value: str) -> float | None:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", value or "")
    if not match:
        return None
    scale = {"ms": 0.001, "s": 1.0, None: 1.0, "m": 60.0, "h": 3600.0}[match.group(2)]
    seconds = float(match.group(1)) * scale
    return seconds if seconds > 0 else None


def load_json(response: httpx.Response) -> tuple[Any, str | None]:
    """The JSON value of a 200 answer, or why there is none (an HTML page, invalid JSON).

    The answer arrived whole (a body cut short in transit is the client's error, "truncated
    response from …"), so a body that does not parse is "invalid JSON in response", even
    where it reads as JSON cut short."""
    content_type = response.headers.get("content-type", "").lower()
    text = response.text
    if "html" in content_type or text.lstrip()[:1] == "<":
        return None, f"HTML page instead of JSON (Content-Type {content_type or 'missing'})"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, (f"invalid JSON in response ({exc.msg} at char {exc.pos} of "
                      f"{len(response.content)} bytes)")


class RateLimiter:
    """Paces the requests to one host; shared by every run of a client, across threads.

    For a limit of L requests per W seconds, requests go out on an absolute schedule,
    one every 1.03·W/(L-1) seconds (95 % of the limit for L = 50), and never more than
    L-1 within W seconds. The schedule does not drift when a request goes out late: its
    successors keep their slots, and a schedule fallen behind by up to ``CATCH_UP`` slots
    catches up. The cap holds the catching up, or a burst after a stall of the event
    loop, below the server's own limit with one request to spare for jitter. Each 429
    (the jitter was larger: a busy machine) spares one request more, up to ``MAX_SPARE``.

    The limit is the one the host advertises (``X-Rate-Limit-*``), or, ``documented``,
    one the source documents and the host's headers do not change.
    """

    def __init__(self, limit: int, interval: float, known: bool, documented: bool = False) -> None:
        self._mutex = threading.Lock()
        self._sent: deque[float] = deque()  # when the last requests went out
        self.next_slot = 0.0
        self.paused_until = 0.0
        self.limit, self.window, self.spacing = 1, interval, interval
        self.advertised: tuple[int, float] | None = None
        self.generation = 0  # counts the changes of limit
        self.spare = 1  # requests of the advertised limit left unused per window
        self._set(limit, interval)
        self.known = known
        self.documented = documented

    def _set(self, limit: int, interval: float, force: bool = False) -> None:
        if (limit, interval) == self.advertised and not force:
            return
        self.advertised = (limit, interval)
        self.generation += 1
        self.limit = max(1, limit - self.spare)
        self.window = interval
        spacing = interval * (1 + SCHEDULE_GUARD) / self.limit
        if self._sent:  # a new limit applies from the last request on
            self.next_slot = min(self.next_slot, self._sent[-1] + spacing)
        self.spacing = spacing

    def _reserve(self, now: float) -> float:
        """The next free slot (now or later), taken."""
        with self._mutex:
            behind = now - self.next_slot
            # behind by a few slots: catch up; by more (idle, or the first request): start now
            slot = max(self.next_slot if behind <= CATCH_UP * self.spacing else now,
                       self.paused_until)
            self.next_slot = slot + self.spacing
            return slot

    def _admit(self, now: float) -> float:
        """0 if a request may go out now (and it is counted), else how long to wait."""
        with self._mutex:
            while self._sent and self._sent[0] <= now - self.window:
                self._sent.popleft()
            wait = self.paused_until - now
            if len(self._sent) >= self.limit:
                wait = max(wait, self._sent[0] + self.window - now)
            if wait > 0:
                return wait
            self._sent.append(now)
            return 0.0

    async def acquire(self) -> None:
        while True:
            generation = self.generation
            now = time.monotonic()
            slot = self._reserve(now)
            while now < slot and generation == self.generation:
                # a slot reserved at a slower rate is given up once a faster one is learned
                await asyncio.sleep(min(slot - now, RESCHEDULE_CHECK))
                now = time.monotonic()
            if generation != self.generation:
                continue
            wait = self._admit(now)
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def observe(self, headers: httpx.Headers) -> None:
        """Learn the limit a response advertises."""
        if self.documented:
            return
        try:
            limit = float(headers["x-rate-limit-limit"])
            interval = _interval_seconds(headers["x-rate-limit-interval"])
        except (KeyError, ValueError):
            if not self.known:  # the server does not advertise a limit
                with self._mutex:
                    self._set(*UNADVERTISED_LIMIT)
                    self.known = True
            return
        if limit >= 1 and interval:
            with self._mutex:
                self._set(int(limit), interval)
                self.known = True

    def pause(self, seconds: float) -> None:
        with self._mutex:
            self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def rejected(self) -> None:
        """The server answered 429: leave one request more of its limit unused."""
        with self._mutex:
            if self.advertised is not None and self.spare < MAX_SPARE:
                self.spare += 1
                self._set(*self.advertised, force=True)


class Host:
    """One host as every request of a client to it sees it (across threads and event loops):
    at most ``cap`` requests in flight, and whether it can be reached at all.

    ``cap`` starts at the client's ``max_concurrency``; a host that advertises fewer
    (``X-Concurrency-Limit``) lowers it, and so does each 429 (by one, down to one). After
    ``FAIL_FAST_AFTER`` connection failures in a row (any answer resets the count) the
    host is ``down``: the reason, given to every request still waiting for it.
    """

    def __init__(self, name: str, cap: int) -> None:
        self.name = name
        self.cap = max(1, cap)
        self.busy = 0  # requests in flight
        self.attempts = 0  # requests sent (connections tried), for the whole client
        self.failures = 0  # connection failures in a row
        self.down: str | None = None
        self._waiting: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._mutex = threading.Lock()

    @contextlib.asynccontextmanager
    async def slot(self, ready: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
        """One of the host's ``cap`` places for a request in flight, for the block, once
        ``ready()`` (its turn at the rate limiter) is over. A place taken while the cap was
        higher is given back, and waited for again, if the cap fell in the meantime."""
        while True:
            await self._enter()
            try:
                if self.down is None:
                    await ready()
            except BaseException:
                self._release()
                raise
            with self._mutex:
                crowded = self.busy > self.cap
            if not crowded or self.down is not None:
                break
            self._release()
        try:
            yield
        finally:
            self._release()

    async def _enter(self) -> None:
        """Wait for a place (waiters are let in in the order they came), and take it."""
        loop = asyncio.get_running_loop()
        with self._mutex:
            waiter = None
            if self.busy < self.cap and not self._waiting:
                self.busy += 1
            else:
                waiter = loop.create_future()
                self._waiting.append((loop, waiter))
        if waiter is not None:
            try:
                await waiter  # the place is counted for us when we are woken
            except asyncio.CancelledError:
                with self._mutex:
                    woken = (loop, waiter) not in self._waiting
                    if not woken:
                        self._waiting.remove((loop, waiter))
                if woken:
                    self._release()
                raise

    def _release(self) -> None:
        with self._mutex:
            self.busy -= 1
            while self._waiting and self.busy < self.cap:
                loop, waiter = self._waiting.popleft()
                self.busy += 1
                loop.call_soon_threadsafe(_wake, waiter)

    def sent(self) -> None:
        with self._mutex:
            self.attempts += 1

    def observe(self, headers: httpx.Headers) -> None:
        """An answer came: the host is reachable; it may advertise a concurrency limit."""
        with self._mutex:
            self.failures = 0
            advertised = headers.get("x-concurrency-limit", "").strip()
            if advertised.isdigit() and int(advertised) >= 1:
                self.cap = min(self.cap, int(advertised))

    def rejected(self) -> None:
        """A 429: one request fewer in flight from now on."""
        with self._mutex:
            self.cap = max(1, self.cap - 1)

    def unreachable(self, why: str) -> bool:
        """A connection failed (``why``); whether the host is now given up."""
        with self._mutex:
            self.failures += 1
            if self.down is None and self.failures >= FAIL_FAST_AFTER:
                self.down = (f"could not connect to {self.name}: unreachable ({self.failures} "
                             f"connection failures in a row, the last: {why}); not asked again "
                             "this run")
            return self.down is not None


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


@dataclass
class Trace:
    """How many requests one item took (every retry and fallback counted)."""

    attempts: int = 0


class Client:
    """The HTTP policy of a run of requests (see the module docstring).

    ``timeout`` bounds connecting and each read (seconds); ``max_retries`` is the
    number of attempts per URL (the first included); ``mailto`` is the contact address
    sent in the User-Agent (and, where a source wants it, as a parameter).
    """

    def __init__(
        self,
        mailto: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        total_deadline: float = 120.0,
        backoff_base: float = 0.5,
        deadline_per_item: float = 0.0,
    ) -> None:
        self.mailto = mailto
        self.timeout = timeout
        self.max_retries = max(1, max_retries)
        self.max_concurrency = max(1, max_concurrency)
        self.total_deadline = total_deadline
        self.backoff_base = backoff_base
        self.deadline_per_item = deadline_per_item
        self._limiters: dict[str, RateLimiter] = {}  # by host (and documented limit), for every run
        self._hosts: dict[str, Host] = {}
        self._limiters_mutex = threading.Lock()

    @property
    def user_agent(self) -> str:
        contact = f"; mailto:{self.mailto}" if self.mailto else ""
        return f"manuscript-audit/{__version__} (python-httpx{contact})"

    def host(self, url: str) -> Host:
        """The host of ``url``: its concurrency cap and whether it can be reached."""
        name = urlsplit(url).netloc
        with self._limiters_mutex:
            if name not in self._hosts:
                self._hosts[name] = Host(name, self.max_concurrency)
            return self._hosts[name]

    def limiter(self, base: str, documented: tuple[int, float] | None = None,
                lists: bool = False) -> RateLimiter:
        """The rate limiter of the host of ``base`` (a source's documented limit, else learned),
        of its list queries with ``lists`` (a host may limit them apart from single lookups)."""
        key = (urlsplit(base).netloc + (" lists" if lists else "")
               + (f" at {documented}" if documented else ""))
        with self._limiters_mutex:
            if key not in self._limiters:
                self._limiters[key] = (RateLimiter(*documented, known=True, documented=True)
                                       if documented else RateLimiter(*INITIAL_LIMIT, known=False))
            return self._limiters[key]

    def session(self, params: Mapping[str, str] | None = None) -> httpx.AsyncClient:
        """The HTTP client of a run; ``params``: query parameters sent with every request,
        kept out of the URLs that messages show (an API key among them)."""
        return httpx.AsyncClient(
            headers={"User-Agent": self.user_agent},
            params=dict(params) if params else None,
            timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=self.max_concurrency),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
        )

    async def each(
        self,
        items: Sequence[T],
        one: Callable[[T, Trace], Awaitable[R]],
        late: Callable[[T, str, Trace], R],
        *,
        units: int | None = None,
        concurrency: int | None = None,
        on_result: Callable[[R], None] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[R]:
        """``one(item)`` for every item, at most ``concurrency`` (default ``max_concurrency``)
        at once, all within the run's deadline: ``total_deadline`` plus ``deadline_per_item``
        for each of ``units`` things asked (default: one per item). An item still pending at
        the deadline is ``late(item, reason)``. ``on_result`` and ``progress(done, total)``
        are called as each item ends."""
        budget = self.total_deadline + self.deadline_per_item * (len(items) if units is None else units)
        deadline = asyncio.get_running_loop().time() + budget
        semaphore = asyncio.Semaphore(concurrency or self.max_concurrency)
        done = 0

        async def run(item: T) -> R:
            nonlocal done
            trace = Trace()
            try:
                async with asyncio.timeout_at(deadline), semaphore:
                    result = await one(item, trace)
            except TimeoutError:
                result = late(item, f"deadline exceeded ({budget:g} s for the whole run)", trace)
            done += 1
            if on_result is not None:
                on_result(result)
            if progress is not None:
                progress(done, len(items))
            return result

        return list(await asyncio.gather(*(run(item) for item in items)))

    async def each_batch(
        self,
        ids: Iterable[str],
        normalize: Callable[[str], str | None],
        batch_size: int,
        one: Callable[[list[str], Trace], Awaitable[dict[str, R]]],
        late: Callable[[list[str], str, Trace], dict[str, R]],
        invalid: Callable[[str], R],
        *,
        concurrency: int | None = None,
    ) -> dict[str, R]:
        """Identifiers asked many to a request (PubMed's PMIDs, PMC's PMCIDs, arXiv's ids):
        each normalised and asked once, in batches of ``batch_size``, through :meth:`each`
        (``one(batch)`` answers ``{normalised id: result}``). Every result keyed by the
        identifier as given; one that ``normalize`` does not accept is ``invalid(given)``."""
        valid = {given: normalize(given) for given in dict.fromkeys(ids)}
        wanted = list(dict.fromkeys(v for v in valid.values() if v))
        batches = [wanted[i:i + batch_size] for i in range(0, len(wanted), batch_size)]
        answers = await self.each(batches, one, late, units=len(wanted), concurrency=concurrency)
        found = {key: result for answer in answers for key, result in answer.items()}
        return {given: found[v] if v else invalid(given) for given, v in valid.items()}

    async def get(
        self,
        session: httpx.AsyncClient,
        limiter: RateLimiter,
        url: str,
        accept: str,
        trace: Trace,
    ) -> tuple[httpx.Response | None, str | None]:
        """GET with bounded retries: a final response (any status) or a reason (at once,
        without a request, once the host is given up)."""
        host = self.host(url)
        problem = ""
        for attempt in range(1, self.max_retries + 1):
            wait: float | None = None
            async with host.slot(limiter.acquire):
                if host.down is not None:
                    return None, host.down
                trace.attempts += 1
                host.sent()
                try:
                    # the URL's own query goes as parameters: httpx would otherwise replace it
                    # with the session's (Crossref's mailto, NCBI's tool, email and api_key)
                    target = httpx.URL(url)
                    response = await session.get(target.copy_with(query=None),
                                                 params=target.params, headers={"Accept": accept})
                except httpx.TooManyRedirects:
                    return None, f"redirect loop (more than {MAX_REDIRECTS} redirects) from {url}"
                except httpx.ConnectTimeout:
                    problem = f"timed out after {self.timeout:g} s connecting to {url}"
                    if host.unreachable(f"timed out after {self.timeout:g} s connecting"):
                        return None, host.down
                except httpx.TimeoutException:
                    problem = f"timed out after {self.timeout:g} s waiting for {url}"
                except httpx.RemoteProtocolError as exc:
                    text = str(exc)
                    if "body" in text or "incomplete" in text.lower():
                        problem = f"truncated response from {url} ({text})"
                    else:
                        problem = f"connection reset by {url} ({text})"
                except (httpx.ReadError, httpx.WriteError) as exc:
                    problem = f"connection reset by {url} ({str(exc) or type(exc).__name__})"
                except httpx.ConnectError as exc:  # refused, DNS, TLS
                    problem = f"could not connect to {url} ({exc})"
                    if host.unreachable(str(exc) or type(exc).__name__):
                        return None, host.down
                except httpx.HTTPError as exc:
                    problem = f"request to {url} failed ({type(exc).__name__}: {exc})"
                else:
                    limiter.observe(response.headers)
                    host.observe(response.headers)
                    if response.status_code not in RETRY_STATUSES:
                        return response, None
                    problem = f"HTTP {response.status_code} from {url}"
                    wait = _retry_after(response.headers)
                    if response.status_code == 429:
                        limiter.pause(wait if wait is not None else self._backoff(attempt))
                        limiter.rejected()
                        host.rejected()
            if attempt < self.max_retries:
                await asyncio.sleep(wait if wait is not None else self._backoff(attempt))
        plural = "s" if self.max_retries != 1 else ""
        return None, f"{problem} after {self.max_retries} attempt{plural}"

    def _backoff(self, attempt: int) -> float:
        """Exponential back-off with "equal jitter": between d/2 and d, d = base·2^(n-1)."""
        delay = min(30.0, self.backoff_base * 2.0 ** (attempt - 1))
        return delay / 2 + random.uniform(0, delay / 2)
