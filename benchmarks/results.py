"""What one run of the benchmarks asked for and collected: filled by :mod:`benchmarks.run`,
judged by :mod:`benchmarks.targets`, shown by :mod:`benchmarks.report`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.cases.audit import RefreshResult
from benchmarks.cases.build import BuildResult
from benchmarks.cases.preview import PreviewResult
from benchmarks.harness import Series


@dataclass(frozen=True)
class Plan:
    """How much is measured."""

    sizes: tuple[str, ...]
    rounds: int  # timed build rounds per size (and timed no-op builds)
    warm_limit: float  # a first round quicker than this is an untimed warm-up
    runs: int  # timed runs of each offline audit
    refresh_dois: int
    refresh_runs: int
    serial_dois: int
    timeout: float  # a build or audit run longer than this is stopped, and reported as such
    only: frozenset[str]  # build, noop, audit, refresh, preview
    edits: int = 5  # timed edits of the live preview per size


@dataclass
class Results:
    plan: Plan
    argv: list[str]
    started: str = ""  # UTC
    elapsed: float = 0.0  # seconds, the whole run
    machine: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    python: str = ""  # the product's interpreter
    load: list[str] = field(default_factory=list)  # load averages, sampled between stages
    stages: list[tuple[str, float]] = field(default_factory=list)  # (stage, seconds)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    builds: dict[str, BuildResult] = field(default_factory=dict)
    noop: dict[str, Series] = field(default_factory=dict)
    noop_how: str = "nox -s build"
    audit: dict[str, Series] = field(default_factory=dict)  # bibliography cache warm
    audit_cold: dict[str, Series] = field(default_factory=dict)  # no cache (largest size)
    refresh: dict[str, RefreshResult] = field(default_factory=dict)  # by limits (LIMITS' labels)
    unreachable: Series | None = None  # the refresh with every registrar unreachable
    preview: dict[str, PreviewResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
