"""The benchmark harness runs end to end, so it cannot rot: one round of every case on the tiny
size T, through a stand-in for nox. Nothing here judges a time (tests never assert on time);
``nox -s bench`` does the measuring (minutes, not a test)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from benchmarks import report, run, targets
from benchmarks.cases import preview
from benchmarks.cases.build import BuildResult
from benchmarks.cases.preview import PreviewResult
from benchmarks.harness import TARGETS, Sample, Series
from benchmarks.results import Results
from tests.conftest import ROOT

# nox as the harness calls it (``-f NOXFILE -s build -- ARGS``), without creating a session
STAND_IN_NOX = """
import subprocess, sys
if "--version" in sys.argv:
    print("stand-in for nox")
    raise SystemExit(0)
args = sys.argv[sys.argv.index("--") + 1:]
raise SystemExit(subprocess.call([sys.executable, "-m", "audit", "build", *args]))
"""

# what the harness may use of the package: the commands, and these public names
PUBLIC = {
    "audit.sources.fake": {"FakeRegistrar", "records_from_csl"},
    "audit.sources.crossref": {"crossref_to_csl", "csl_to_crossref"},
    "audit.sources.pubmed": {"csl_to_esummary", "esummary_to_csl"},
}


def close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-9


def test_one_round_of_every_case(tmp_path: Path) -> None:
    """Every case but the live preview's (it needs chromium: the next test)."""
    stand_in = tmp_path / "nox.py"
    stand_in.write_text(STAND_IN_NOX)
    args, plan = run.parse_args([
        "--only", "build,noop,audit,refresh",
        "--sizes", "T", "--rounds", "1", "--warm-limit", "0", "--runs", "1",
        "--refresh-dois", "30", "--refresh-runs", "1", "--serial-dois", "3",
        "--nox", f"{sys.executable} {stand_in}", "--python", sys.executable,
        "--work", str(tmp_path / "work"), "--results", str(tmp_path / "RESULTS.md")])
    res = run.measure(args, plan)
    assert res.errors == []

    b = res.builds["T"]
    assert (b.warmups, b.rounds, b.whole_how) == (0, 1, "nox -s build")
    # every step of the manifest replayed: pandoc, typst, and the product's own Python apart
    assert list(b.steps) == ["ast", "html:pandoc", "pdf:pandoc", "pdf:typst", "jats:pandoc",
                             "jats:python", "docx:pandoc"]
    assert not b.floor_steps["jats:python"] and all(b.floor_steps[s] for s in b.steps if s != "jats:python")
    step = {name: s.times[0] for name, s in b.steps.items()}
    # the floors are sums of the same round's replays: an output's, the AST and its own steps ...
    assert close(b.outputs["pdf"].floor.times[0], step["ast"] + step["pdf:pandoc"] + step["pdf:typst"])
    assert close(b.outputs["jats"].floor.times[0], step["ast"] + step["jats:pandoc"])
    assert close(b.outputs["jats"].own.times[0], step["jats:python"])
    # ... the whole build's, every floor step one after another
    assert close(b.whole_floor.times[0], sum(t for name, t in step.items() if b.floor_steps[name]))
    assert all(o.product.n == 1 and o.product.peak_mb > 0 for o in b.outputs.values())
    assert (tmp_path / "work" / "T" / "output" / "manuscript.pdf").is_file()

    assert res.noop["T"].n == 1 and (res.audit["T"].n, res.audit_cold["T"].n) == (1, 1)
    assert list(res.refresh) == ["a", "b"]  # the two sets of limits
    for f in res.refresh.values():
        assert (f.n, f.locked, f.serial.n, f.singles.n) == (30, [30], 1, 1)

    text = report.render(res)
    for target in TARGETS:
        assert re.search(rf"^\| T {target}: `python -m audit build --force {target}` ≤ floor \+ 0\.25 s "
                         r"\| [+-]\d\.\d+ s \(", text, re.M), target
    assert re.search(r"^\| T: whole build, `nox -s build -- --force` ≤ 1\.0 × .* \| \d+\.\d+× ", text, re.M)
    assert re.search(r"^\| T: no-op `nox -s build` ≤ 1\.0 s \| \d+\.\d\d s \| 1 \|", text, re.M)
    assert re.search(r"^\| \(a\) refresh of 30 DOIs at 10/s, 3 at a time, end to end ≤ 5 s \| "
                     r"\d+\.\d\d s \| 1 \|", text, re.M)
    assert re.search(r"^\| \(b\) refresh of 30 DOIs at 50/s, 5 at a time, end to end ≤ 3 s \| ", text, re.M)
    assert re.search(r"^\| \(a\) the same 30 DOIs asked singly at 10/s, 3 at a time ≥ 3 s, the "
                     r"ceiling \(extrapolated from 30\) \| \d+ s \(ceiling 3 s\) \| 1 \|", text, re.M)
    assert res.unreachable is not None and res.unreachable.n == 1
    assert re.search(r"^\| refresh of 30 DOIs, every registrar unreachable, ≤ 5 s \| \d+\.\d\d s \| 1 \|",
                     text, re.M)
    assert "**Not a full run**" in text and "records locked [30]" in text


def test_one_edit_of_the_live_preview(tmp_path: Path) -> None:
    """The preview served, chromium showing the page, one untimed and one timed edit, the floor
    replayed; skipped without chromium or playwright (the run then reports it not measured)."""
    if preview.find_chromium() is None:
        pytest.skip("the preview's benchmark: no chromium (apt-get install chromium)")
    try:
        preview.find_driver()
    except preview.BrowserUnavailable as exc:
        pytest.skip(f"the preview's benchmark: {exc}")
    stand_in = tmp_path / "nox.py"
    stand_in.write_text(STAND_IN_NOX)
    args, plan = run.parse_args([
        "--only", "preview", "--sizes", "T", "--edits", "1", "--nox", f"{sys.executable} {stand_in}",
        "--python", sys.executable, "--work", str(tmp_path / "work")])
    res = run.measure(args, plan)
    assert res.errors == []
    p = res.preview["T"]
    assert (p.reload.n, p.floor.n, p.noticed.n, p.page.n, len(p.warmup)) == (1, 1, 1, 1, 1)
    assert p.loads[0] >= 1 and p.chromium and p.floor.peak_mb > 0
    text = report.render(res)
    assert re.search(r"^\| T: live preview, save → reloaded page ≤ 1\.5 s \| \d+\.\d+ s \(floor "
                     r"\d+\.\d\d s\) \| 1 \|", text, re.M)
    assert re.search(r"^\| T \| \d+\.\d\d \| .* \| ≤ 1\.5 s \| ", text, re.M)  # the preview's table


def test_the_preview_is_a_failure_when_it_cannot_be_measured(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No chromium: the stage is recorded as not measured, with the reason, and the run goes on."""
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-chromium"))
    args, plan = run.parse_args(["--only", "preview", "--sizes", "S", "--python", sys.executable,
                                 "--nox", f"{sys.executable} -c pass", "--work", str(tmp_path)])
    res = run.measure(args, plan)
    assert res.preview == {} and len(res.errors) == 1
    (verdict,) = targets.evaluate(res)
    assert not verdict.ok and verdict.measured.startswith("not measured: BrowserUnavailable: no ")
    assert "**FAIL**" in report.render(res)


def series(*times: float, mb: float = 100.0) -> Series:
    return Series([Sample(t, mb) for t in times])


def test_the_verdicts_follow_the_targets() -> None:
    """S: floor + 0.25 s; L: 1.05 × floor, as medians of per-round figures; the audit at XL."""
    _, plan = run.parse_args(["--sizes", "S,L,XL"])
    res = Results(plan, [])
    for size, product in (("S", (0.70, 0.75, 0.90)), ("L", (10.4, 10.6, 11.0))):
        b = BuildResult(whole_how="nox -s build")
        b.whole, b.whole_floor = series(1.0, 1.0, 1.0), series(1.1, 0.9, 1.2)  # ratios .91 1.11 .83
        for target in TARGETS:
            b.outputs[target].product = series(*product)
            b.outputs[target].floor = series(0.5, 0.5, 0.5) if size == "S" else series(10, 10, 10)
        res.builds[size] = b
    res.audit["XL"] = series(2.5, 2.9, 3.4, mb=310)
    # the preview: S ≤ 1.5 s; L ≤ 1.2 × its floor (per-round ratios 1.1, 1.3, 1.25)
    res.preview["S"] = PreviewResult("S", reload=series(1.2, 1.6, 1.4), floor=series(0.4, 0.4, 0.4))
    res.preview["L"] = PreviewResult("L", reload=series(2.2, 2.6, 2.5), floor=series(2, 2, 2))
    verdicts = {v.target.split(":")[0].split(" ")[0] + " " + v.target.split(" ")[1]: v
                for v in targets.evaluate(res)}
    assert verdicts["S html:"].ok and verdicts["S html:"].measured.startswith("+0.25 s")
    assert not verdicts["L html:"].ok and verdicts["L html:"].measured.startswith("1.060×")
    assert verdicts["S whole"].ok and verdicts["S whole"].measured.startswith("0.91×")
    assert not verdicts["XL offline"].ok  # 2.9 s, but 310 MB
    assert verdicts["S live"].ok and verdicts["S live"].measured.startswith("1.40 s")
    assert not verdicts["L live"].ok and verdicts["L live"].measured.startswith("1.25×")
    # asked for, not measured (its stage failed): a failing row, not a missing one
    assert not verdicts["XL whole"].ok and verdicts["XL whole"].measured.startswith("not measured")
    assert all(v.n < v.needs for v in verdicts.values())


def test_the_harness_keeps_to_its_side_of_the_package() -> None:
    """Nothing from tests/, only the public names above from the package, no module over ~500 lines."""
    for path in sorted((ROOT / "benchmarks").rglob("*.py")):
        source = path.read_text()
        assert len(source.splitlines()) <= 500, path
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] in ("tests", "audit") for a in node.names), path
            elif isinstance(node, ast.ImportFrom) and node.module:
                top = node.module.split(".")[0]
                assert top != "tests", path
                if top == "audit":
                    assert {a.name for a in node.names} <= PUBLIC.get(node.module, set()), (path, node.module)


@pytest.mark.parametrize("argv", [["--quick"], []])
def test_the_plans(argv: list[str]) -> None:
    args, plan = run.parse_args(argv)
    if argv:
        assert (plan.sizes, plan.rounds, args.results) == (("S", "L"), 3, None)
    else:
        assert plan.sizes == ("S", "L", "XL") and plan.rounds >= targets.MIN_ROUNDS
        assert plan.runs >= targets.MIN_RUNS and plan.refresh_runs >= targets.MIN_RUNS
        assert plan.edits >= targets.MIN_EDITS and "preview" in plan.only
        assert (plan.refresh_dois, args.results) == (1000, ROOT / "benchmarks" / "RESULTS.md")
