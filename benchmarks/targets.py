"""The targets (issue 12, the audit's from issue 5, the live preview's from issue 15), and each
one's verdict on a run.

Never tuned to the measurements: a target that is not met is reported with its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.cases.audit import LATENCY, LIMITS, SINGLES_N
from benchmarks.cases.preview import SIZES as PREVIEW_SIZES
from benchmarks.cases.preview import STAGE as PREVIEW_STAGE
from benchmarks.harness import TARGETS, Series, median
from benchmarks.results import Results

MIN_ROUNDS = 7  # the build's medians over at least this many rounds
MIN_RUNS = 5  # the audit's and the refresh's (issue 5) over at least this many runs
WHOLE_RATIO = 1.0  # the whole build through nox ≤ this × its manifest's steps one after another
SMALL = ("T", "S")  # sizes where an output's bound is absolute ...
OUTPUT_EXTRA = 0.25  # ... ≤ floor + this many seconds
OUTPUT_RATIO = 1.05  # elsewhere (L, XL) ≤ this × floor
NOOP_SECONDS = 1.0  # nox -s build, nothing changed
AUDIT_SIZE, AUDIT_SECONDS, AUDIT_MB = "XL", 3.0, 300.0  # offline audit, cache warm
# the refresh of 1,000 DOIs end to end, at each set of limits (issue 16); and single lookups at
# (a)'s limits, for comparison: at least the ceiling their rate sets, n / rate (100 s for 1,000
# DOIs at 10 a second; extrapolated from SINGLES_N DOIs)
REFRESH_SECONDS = {"a": 5.0, "b": 3.0}
SINGLES_AT = "a"
UNREACHABLE_SECONDS = 5.0  # the same refresh, every registrar unreachable, end to end
PREVIEW_SECONDS = 1.5  # the live preview, save → reloaded page, at S (SMALL) ...
PREVIEW_RATIO = 1.2  # ... and at L ≤ this × pandoc's own HTML time (the AST + html steps)
MIN_EDITS = 5  # the preview's medians over at least this many edits

STATED = [
    f"The whole build, all four outputs through `nox -s build -- --force`, at most {WHOLE_RATIO:.1f}× "
    "the same manifest's steps replayed one after another (the AST, then each output's steps), "
    "at S, L and XL.",
    "Each output through the command, `python -m audit build --force TARGET`, at most its floor "
    f"+ {OUTPUT_EXTRA:g} s at S and at most {OUTPUT_RATIO:g}× its floor at L and XL; the floor is "
    "that output's manifest steps replayed (the AST step and the output's own pandoc/typst "
    "steps; the product's own Python steps are product work, not floor).",
    f"A no-op `nox -s build` (nothing changed, every output up to date) at most {NOOP_SECONDS:.1f} s.",
    f"The offline audit at {AUDIT_SIZE} (5,000 references), bibliography cache warm, at most "
    f"{AUDIT_SECONDS:g} s and {AUDIT_MB:g} MB (also reported without the cache, and at every size).",
    "`--refresh` of 1,000 DOIs against the fake registrar answering after "
    f"{LATENCY * 1000:.0f} ms, end to end: at most "
    + " and ".join(f"{REFRESH_SECONDS[k]:g} s at ({k}) {r} requests/s and {c} at a time"
                   for k, (r, c) in LIMITS.items())
    + f" (its limits advertised, list queries and single lookups counted apart, 429 beyond them); "
    f"against single lookups at ({SINGLES_AT})'s limits, at least the ceiling that rate sets "
    f"(100 s for 1,000 DOIs; measured on {SINGLES_N} DOIs, extrapolated), and one-at-a-time "
    "fetching (reported beside it).",
    f"The same refresh with every registrar unreachable (nothing listening) at most "
    f"{UNREACHABLE_SECONDS:g} s end to end, every identifier reported `unverified`.",
    "The live preview (`manuscript-audit preview`), from saving an edit to the manuscript to the "
    f"reloaded page in chromium showing it, at most {PREVIEW_SECONDS:g} s at S and at most "
    f"{PREVIEW_RATIO:g}× pandoc's own HTML time at L (the manifest's AST step and html step "
    f"replayed), medians over at least {MIN_EDITS} edits, each round's edit and floor taken in turn.",
    f"The build's medians over at least {MIN_ROUNDS} rounds, in each of which the product and its "
    f"floor run in turn, alternating which goes first; the audit's and the refresh's over at least "
    f"{MIN_RUNS} runs.",
]


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    n: int  # rounds or runs behind the median
    ok: bool
    needs: int = MIN_ROUNDS  # rounds or runs a full run has behind it


def shown(value: float, bound: float, digits: int, sign: bool = False) -> str:
    """``value`` with ``digits`` decimals, one more where it would print as the bound itself
    (so that a value just over the bound does not read as equal to it)."""
    fmt = f"{{:{'+' if sign else ''}.{digits}f}}"
    text = fmt.format(value)
    if text == fmt.format(bound) and value != bound:
        text = f"{{:{'+' if sign else ''}.{digits + 1}f}}".format(value)
    return text


def _cut(s: Series) -> str:
    return f"> {s.timed_out:.0f} s (stopped)" if s.timed_out is not None else ""


def build_verdicts(results: Results) -> list[Verdict]:
    out: list[Verdict] = []
    for size, b in results.builds.items():
        how = f"`{b.whole_how} -- --force`"
        ratio = median(b.whole_ratios)
        out.append(Verdict(
            f"{size}: whole build, {how} ≤ {WHOLE_RATIO:.1f} × its steps one after another",
            _cut(b.whole) or f"{shown(ratio, WHOLE_RATIO, 2)}× ({b.whole.median:.2f} s / "
            f"{b.whole_floor.median:.2f} s)",
            b.rounds, b.whole.ok and ratio <= WHOLE_RATIO))
        for target in TARGETS:
            o = b.outputs[target]
            values = f"{o.product.median:.2f} s / {o.floor.median:.2f} s"
            if size in SMALL:
                extra = b.difference(target)
                out.append(Verdict(
                    f"{size} {target}: `python -m audit build --force {target}` ≤ floor + "
                    f"{OUTPUT_EXTRA:g} s",
                    _cut(o.product) or f"{shown(extra, OUTPUT_EXTRA, 2, sign=True)} s ({values})",
                    o.product.n, o.product.ok and extra <= OUTPUT_EXTRA))
            else:
                r = b.ratio(target)
                out.append(Verdict(
                    f"{size} {target}: `python -m audit build --force {target}` ≤ {OUTPUT_RATIO:g} × "
                    "floor", _cut(o.product) or f"{shown(r, OUTPUT_RATIO, 3)}× ({values})",
                    o.product.n, o.product.ok and r <= OUTPUT_RATIO))
    return out


def preview_target(size: str) -> str:
    if size in SMALL:
        return f"{size}: live preview, save → reloaded page ≤ {PREVIEW_SECONDS:g} s"
    return f"{size}: live preview, save → reloaded page ≤ {PREVIEW_RATIO:g} × pandoc's HTML time"


def preview_ok(size: str, reload: Series, ratio: float) -> bool:
    if size in SMALL:
        return reload.ok and reload.median <= PREVIEW_SECONDS
    return reload.ok and ratio <= PREVIEW_RATIO


def preview_verdicts(results: Results) -> list[Verdict]:
    """Each size the preview was asked at: measured, or why not (its stage's failure)."""
    out: list[Verdict] = []
    sizes = [s for s in results.plan.sizes if s in PREVIEW_SIZES] if "preview" in results.plan.only else []
    for size in sizes:
        p = results.preview.get(size)
        if p is None:
            stage = f"{size}: {PREVIEW_STAGE}: "
            why = next((e[len(stage):].split("\n")[0] for e in results.errors if e.startswith(stage)), "")
            out.append(Verdict(preview_target(size), f"not measured: {why[:300]}" if why else MISSING, 0,
                               False, MIN_EDITS))
            continue
        ratio = median(p.ratios)
        values = f"{p.reload.median:.2f} s / {p.floor.median:.2f} s"
        measured = (f"{shown(p.reload.median, PREVIEW_SECONDS, 2)} s (floor {p.floor.median:.2f} s)"
                    if size in SMALL else f"{shown(ratio, PREVIEW_RATIO, 2)}× ({values})")
        out.append(Verdict(preview_target(size), measured, p.reload.n,
                           preview_ok(size, p.reload, ratio), MIN_EDITS))
    return out


MISSING = "not measured: it failed (see the failures at the end)"


def refresh_target(n: int, label: str) -> str:
    rate, concurrency = LIMITS[label]
    return (f"({label}) refresh of {n} DOIs at {rate}/s, {concurrency} at a time, end to end ≤ "
            f"{REFRESH_SECONDS[label]:g} s")


def evaluate(results: Results) -> list[Verdict]:
    """One verdict per target and size, in the order of :data:`STATED`; a target the plan
    asked for whose measurement failed is a failing verdict, not a missing row."""
    plan = results.plan
    out = build_verdicts(results)
    out += [Verdict(f"{size}: whole build and each output", MISSING, 0, False)
            for size in plan.sizes if "build" in plan.only and size not in results.builds]
    for size in plan.sizes:
        if "noop" in plan.only and size not in results.noop:
            out.append(Verdict(f"{size}: no-op `{results.noop_how}` ≤ {NOOP_SECONDS:.1f} s", MISSING, 0,
                               False))
    for size, s in results.noop.items():
        out.append(Verdict(f"{size}: no-op `{results.noop_how}` ≤ {NOOP_SECONDS:.1f} s",
                           _cut(s) or f"{s.median:.2f} s", s.n, s.ok and s.median <= NOOP_SECONDS))
    if AUDIT_SIZE not in results.audit and AUDIT_SIZE in plan.sizes and "audit" in plan.only:
        out.append(Verdict(f"{AUDIT_SIZE}: offline audit, cache warm, ≤ {AUDIT_SECONDS:g} s and "
                           f"≤ {AUDIT_MB:g} MB", MISSING, 0, False, MIN_RUNS))
    for label in LIMITS:
        if label not in results.refresh and "refresh" in plan.only:
            out.append(Verdict(refresh_target(plan.refresh_dois, label), MISSING, 0, False, MIN_RUNS))
    if AUDIT_SIZE in results.audit:
        s = results.audit[AUDIT_SIZE]
        out.append(Verdict(
            f"{AUDIT_SIZE}: offline audit, cache warm, ≤ {AUDIT_SECONDS:g} s and ≤ {AUDIT_MB:g} MB",
            _cut(s) or f"{s.median:.2f} s, {s.peak_mb:.0f} MB", s.n,
            s.ok and s.median <= AUDIT_SECONDS and s.peak_mb <= AUDIT_MB, MIN_RUNS))
    for label, r in results.refresh.items():
        e2e = r.end_to_end
        out.append(Verdict(refresh_target(r.n, label), _cut(e2e) or f"{e2e.median:.2f} s", e2e.n,
                           e2e.ok and e2e.median <= REFRESH_SECONDS[label], MIN_RUNS))
        if label == SINGLES_AT:
            singly = r.singles.median * r.n / r.singles_n
            out.append(Verdict(
                f"({label}) the same {r.n} DOIs asked singly at {r.rate}/s, {r.concurrency} at a "
                f"time ≥ {r.ceiling:g} s, the ceiling (extrapolated from {r.singles_n})",
                f"{singly:.0f} s (ceiling {r.ceiling:.0f} s)", r.singles.n,
                r.singles.ok and singly >= r.ceiling, 1))
    if results.unreachable is not None:
        u = results.unreachable
        out.append(Verdict(f"refresh of {plan.refresh_dois} DOIs, every registrar unreachable, "
                           f"≤ {UNREACHABLE_SECONDS:g} s", _cut(u) or f"{u.median:.2f} s", u.n,
                           u.ok and u.median <= UNREACHABLE_SECONDS, MIN_RUNS))
    elif "refresh" in plan.only:
        out.append(Verdict(f"refresh of {plan.refresh_dois} DOIs, every registrar unreachable, "
                           f"≤ {UNREACHABLE_SECONDS:g} s", MISSING, 0, False, MIN_RUNS))
    return out + preview_verdicts(results)
