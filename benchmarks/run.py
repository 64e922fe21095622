"""Benchmarks at 40, 600 and 5,000 references: the build against its replayed floor, the no-op
build, the offline audit, the refresh and the live preview, judged against the targets; writes
RESULTS.md.

    python -m benchmarks.run [--quick] [--sizes S,L,XL] [--rounds 7] [--results FILE] ...

    nox -s bench                 the full run (about 12 minutes on 2 cores)
    nox -s bench -- --quick      S and L, 3 rounds, a 200-DOI refresh: for iterating
    python -m benchmarks.run --quick --sizes S,L --only preview     one case alone

Modules: :mod:`benchmarks.generate` (the inputs), :mod:`benchmarks.harness` (running, timing,
replaying the manifest), :mod:`benchmarks.cases` (what is measured), :mod:`benchmarks.targets`
(the targets and verdicts), :mod:`benchmarks.report` (RESULTS.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from benchmarks import generate, report
from benchmarks.cases.audit import LIMITS, bench_audit, bench_refresh, bench_unreachable
from benchmarks.cases.build import bench_build, bench_noop
from benchmarks.cases.preview import SIZES as PREVIEW_SIZES
from benchmarks.cases.preview import STAGE as PREVIEW_STAGE
from benchmarks.cases.preview import bench_preview
from benchmarks.harness import Tools, find_nox, loadavg, log, machine
from benchmarks.results import Plan, Results

HERE = Path(__file__).resolve().parent
CASES = ("build", "noop", "audit", "refresh", "preview")
T = TypeVar("T")


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Plan]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="for iterating: S and L, 3 rounds, 3 audit runs, a 200-DOI refresh twice, "
                        "3 preview edits; writes no RESULTS.md unless --results")
    p.add_argument("--sizes", help="comma-separated, of " + ", ".join(generate.SIZES)
                   + " (default S,L,XL; --quick S,L)")
    p.add_argument("--rounds", type=int, help="timed build rounds per size (default 7; --quick 3)")
    p.add_argument("--warm-limit", type=float, default=10.0,
                   help="a first round quicker than this (seconds) is an untimed warm-up")
    p.add_argument("--runs", type=int, help="timed runs of each offline audit (default 5; --quick 3)")
    p.add_argument("--refresh-dois", type=int, help="DOIs to refresh (default 1000; --quick 200)")
    p.add_argument("--refresh-runs", type=int, help="refresh runs (default 5; --quick 2)")
    p.add_argument("--serial-dois", type=int, default=10, help="DOIs fetched one at a time")
    p.add_argument("--edits", type=int,
                   help="timed edits of the live preview at S and L (default 5; --quick 3)")
    p.add_argument("--only", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES))
    p.add_argument("--timeout", type=float, default=120.0,
                   help="stop a build or audit run after this many seconds")
    p.add_argument("--nox", help="how to run nox (a command line; default: found)")
    p.add_argument("--python", help="the product's interpreter (default: nox's build session's)")
    p.add_argument("--work", type=Path, default=HERE / ".work", help="where the projects are made")
    p.add_argument("--results", type=Path, help="default benchmarks/RESULTS.md (--quick: none)")
    raw = list(sys.argv[1:] if argv is None else argv)
    a = p.parse_args(raw)
    a.argv = raw
    sizes = tuple((a.sizes or ("S,L" if a.quick else "S,L,XL")).split(","))
    if unknown := [s for s in sizes if s not in generate.SIZES]:
        p.error(f"unknown size {unknown[0]!r} (choose from {', '.join(generate.SIZES)})")
    only = frozenset(a.only.split(","))
    if unknown := sorted(only - set(CASES)):
        p.error(f"unknown case {unknown[0]!r} (choose from {', '.join(CASES)})")
    rounds = a.rounds or (3 if a.quick else 7)
    if rounds < 1:
        p.error("--rounds must be at least 1")
    plan = Plan(sizes=sizes, rounds=rounds,
                warm_limit=a.warm_limit, runs=a.runs or (3 if a.quick else 5),
                refresh_dois=a.refresh_dois or (200 if a.quick else 1000),
                refresh_runs=a.refresh_runs or (2 if a.quick else 5), serial_dois=a.serial_dois,
                timeout=a.timeout, only=only, edits=a.edits or (3 if a.quick else 5))
    if a.results is None and not a.quick:
        a.results = HERE / "RESULTS.md"
    return a, plan


def measure(args: argparse.Namespace, plan: Plan) -> Results:
    """Every case the plan asks for, stage by stage; a stage that fails is recorded in
    ``Results.errors`` and the others still run."""
    t0 = time.perf_counter()
    work: Path = args.work
    res = Results(plan, args.argv, started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"))

    def stage(name: str, fn: Callable[[], T]) -> T | None:
        """One measurement, timed; a failure is reported (and the run goes on), never hidden."""
        log(name)
        began = time.perf_counter()
        try:
            return fn()
        except Exception as exc:
            log(f"{name}: FAILED: {exc}")
            res.errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:1500]}")
            return None
        finally:
            res.stages.append((name, time.perf_counter() - began))
            res.load.append(loadavg())

    def build_root(size: str) -> Path:
        """The project the build rounds use (XL: less prose, see generate.SIZES)."""
        return work / (f"{size}-build" if generate.SIZES[size].build_words else size)

    def setup() -> Tools:
        for size in plan.sizes:
            res.projects[size] = generate.generate(size, work / size)
            if generate.SIZES[size].build_words:  # less prose for the build rounds
                res.projects[f"{size} build"] = generate.generate(size, build_root(size), build=True)
        if "refresh" in plan.only:
            name = f"R{plan.refresh_dois}"
            res.projects[name] = generate.generate_refresh(plan.refresh_dois, work / name)
        tools = Tools.prepare(find_nox(args.nox), args.python)
        res.machine, res.versions, res.python = machine(), tools.environment(), tools.python
        res.noop_how = tools.nox_how
        return tools

    cache = work / ".audit-cache"  # the benchmark's own bibliography cache, empty at first
    shutil.rmtree(cache, ignore_errors=True)
    tools = stage("setup: generate the projects, ready nox's build session", setup)
    if tools is None:
        res.elapsed = time.perf_counter() - t0
        return res
    for size in plan.sizes:
        built, full = build_root(size), work / size
        if "build" in plan.only and (b := stage(f"{size}: build rounds", partial(
                bench_build, tools, built, plan.rounds, warm_limit=plan.warm_limit,
                timeout=plan.timeout))):
            res.builds[size] = b
        if "noop" in plan.only and (s := stage(f"{size}: no-op build", partial(
                bench_noop, tools, built, plan.rounds, plan.timeout))):
            res.noop[size] = s
        if "audit" in plan.only and (s := stage(f"{size}: offline audit", partial(
                bench_audit, tools, full, plan.runs, cache, plan.timeout))):
            res.audit[size] = s
        if "audit" in plan.only and size == plan.sizes[-1] and (s := stage(
                f"{size}: offline audit, no cache", partial(
                    bench_audit, tools, full, plan.runs, None, plan.timeout))):
            res.audit_cold[size] = s
        if "preview" in plan.only and size in PREVIEW_SIZES and (pv := stage(
                f"{size}: {PREVIEW_STAGE}", partial(
                    bench_preview, tools, full, work / f"{size}-preview", plan.edits,
                    timeout=plan.timeout,
                    env={"AUDIT_CACHE_DIR": str(cache)}))):
            res.preview[size] = pv
    if "refresh" in plan.only:
        for label, (rate, concurrency) in LIMITS.items():
            if f := stage(f"refresh of {plan.refresh_dois} DOIs, ({label}) {rate}/s, {concurrency} "
                          "at a time", partial(bench_refresh, tools, work / f"R{plan.refresh_dois}",
                                               plan.refresh_runs, plan.serial_dois, rate, concurrency)):
                res.refresh[label] = f
        res.unreachable = stage(
            f"refresh of {plan.refresh_dois} DOIs, every registrar unreachable",
            partial(bench_unreachable, tools, work / f"R{plan.refresh_dois}", plan.refresh_runs))
    res.elapsed = time.perf_counter() - t0
    return res


def main(argv: list[str] | None = None) -> int:
    args, plan = parse_args(argv)
    res = measure(args, plan)
    text = report.render(res)
    if args.results:
        args.results.write_text(text, "utf-8")
        log(f"wrote {args.results} ({res.elapsed / 60:.1f} min)")
    print(text)
    return 1 if res.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
