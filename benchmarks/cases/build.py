"""The build's cases: each output and the whole build against their replayed floor, in rounds,
and the no-op build.

One round, in one project (the command and ``nox -s build`` run the same installation, so
they write the same manifest):

    pair 0   the whole build, ``nox -s build -- --force``   <->  the AST step replayed
    pair 1-4 each output, ``python -m audit build --force T`` <->  that output's own steps replayed

Within a pair the two run back to back; which goes first alternates from pair to pair and
from round to round (:func:`~benchmarks.harness.product_first`). Every step of the manifest
is replayed once a round, and the floors are sums of that round's replays:

    an output's floor      the AST step + the output's own pandoc/typst steps
    the whole build's      the AST step + every output's pandoc/typst steps, one after another

The product's own Python steps (JATS tidy, DOCX figures) are product work: they are replayed
beside their output's floor, timed apart, and are in no floor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import (
    TARGETS,
    Sample,
    Series,
    Step,
    TimedOut,
    Tools,
    combine,
    manifest_steps,
    median,
    paired,
    product_first,
    replay,
)


@dataclass
class OutputResult:
    """One output: the command against its floor, round by round."""

    product: Series = field(default_factory=Series)  # python -m audit build --force TARGET
    floor: Series = field(default_factory=Series)  # AST + the output's own pandoc/typst steps
    own: Series = field(default_factory=Series)  # the product's own Python steps, replayed

    @property
    def differences(self) -> list[float]:
        return paired(self.product, self.floor, "difference")

    @property
    def ratios(self) -> list[float]:
        return paired(self.product, self.floor, "ratio")


@dataclass
class BuildResult:
    """One size: every output, the whole build, and each replayed step."""

    whole_how: str  # what built the whole project: "nox -s build" (or the command, without nox)
    outputs: dict[str, OutputResult] = field(default_factory=lambda: {t: OutputResult() for t in TARGETS})
    whole: Series = field(default_factory=Series)
    whole_floor: Series = field(default_factory=Series)  # every floor step, one after another
    critical: Series = field(default_factory=Series)  # the AST + the slowest output's steps
    steps: dict[str, Series] = field(default_factory=dict)  # by Step.name, in manifest order
    floor_steps: dict[str, bool] = field(default_factory=dict)  # Step.name -> in the floor?
    warmups: int = 0  # untimed rounds before the timed ones
    stopped: str | None = None  # why the rounds stopped early (a run over the time limit)

    @property
    def rounds(self) -> int:
        return self.whole.n

    @property
    def whole_ratios(self) -> list[float]:
        return paired(self.whole, self.whole_floor, "ratio")

    def ratio(self, target: str) -> float:
        return median(self.outputs[target].ratios)

    def difference(self, target: str) -> float:
        return median(self.outputs[target].differences)


Got = list[tuple[Series, Sample]]


def _round(tools: Tools, root: Path, round_no: int, res: BuildResult, timeout: float) -> Got:
    """One round; returns what it measured (added to the result only when the round is kept)."""
    got: Got = []
    floor: dict[str, Sample] = {}  # "ast" and each output: its floor steps this round
    steps: dict[str, list[Step]] = {}

    def replay_chain(target: str) -> Sample:
        if not steps:  # read when first needed: in round 0 the whole build has just written it
            steps.update(manifest_steps(root))
        parts: list[Sample] = []
        own: list[Sample] = []
        for step in steps.get(target, []):
            sample = replay(tools, root, step, timeout)
            res.floor_steps[step.name] = step.floor
            got.append((res.steps.setdefault(step.name, Series()), sample))
            (parts if step.floor else own).append(sample)
        if target != "ast":
            got.append((res.outputs[target].own, combine(own)))
        return combine(parts)

    def measure(series: Series, fn: Callable[[], Sample]) -> None:
        try:
            got.append((series, fn()))
        except TimedOut as exc:
            series.timed_out = exc.seconds
            raise

    def whole() -> None:
        measure(res.whole, lambda: tools.nox_build(root, "--force", timeout=timeout))

    def ast() -> None:
        floor["ast"] = replay_chain("ast")

    def product(target: str) -> Callable[[], None]:
        return lambda: measure(res.outputs[target].product,
                               lambda: tools.build(root, "--force", target, timeout=timeout))

    def own(target: str) -> Callable[[], None]:
        return lambda: floor.__setitem__(target, replay_chain(target))

    pairs = [(whole, ast), *((product(t), own(t)) for t in TARGETS)]
    for pair_no, (measured, replayed) in enumerate(pairs):
        for fn in (measured, replayed) if product_first(round_no, pair_no) else (replayed, measured):
            fn()
    for target in TARGETS:
        got.append((res.outputs[target].floor, combine([floor["ast"], floor[target]])))
    outputs = [floor[t] for t in TARGETS]
    got.append((res.whole_floor, combine([floor["ast"], *outputs])))
    got.append((res.critical, combine([floor["ast"], max(outputs, key=lambda s: s.seconds)])))
    return got


def bench_build(tools: Tools, root: Path, rounds: int, *, warm_limit: float = 10.0,
                timeout: float = 120.0) -> BuildResult:
    """``rounds`` timed rounds; a first round quicker than ``warm_limit`` seconds is an untimed
    warm-up before them (a slower one is timed: the sizes before left the tools warm)."""
    res = BuildResult(whole_how=tools.nox_how)
    round_no = 0
    while res.rounds < rounds:
        started = time.perf_counter()
        try:
            got = _round(tools, root, round_no, res, timeout)
        except TimedOut as exc:
            res.stopped = str(exc)
            return res
        took = time.perf_counter() - started
        round_no += 1
        if round_no == 1 and took < warm_limit:
            res.warmups = 1
            continue
        for series, sample in got:
            series.add(sample)
    return res


def bench_noop(tools: Tools, root: Path, runs: int, timeout: float = 120.0) -> Series:
    """``nox -s build`` again, nothing changed: one untimed run, then ``runs`` timed ones,
    each of which must have found every output up to date."""
    tools.nox_build(root, timeout=timeout)
    series = Series()
    for _ in range(runs):
        sample = tools.nox_build(root, timeout=timeout)
        if "up to date" not in sample.stdout + sample.stderr:
            raise RuntimeError(f"the no-op build in {root} rebuilt:\n{sample.stderr[-2000:]}")
        series.add(sample)
    return series
