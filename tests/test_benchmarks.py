"""The benchmark harness runs end to end (a smoke run at S; the timings are not judged here).

`nox -s bench` is not part of CI (it takes about 15 minutes), so this keeps its
generator, the product/floor replay, the no-op build, the audit and the refresh
against the fake registrar from rotting: one run of each, on small inputs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_a_quick_benchmark_run_measures_every_target(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--sizes", "S",
         "--only", "outputs,nothing,audit,refresh", "--runs", "1",
         "--refresh-dois", "30", "--serial-dois", "5",
         "--work", str(tmp_path / "work"), "--results", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "FAILED" not in proc.stderr
    text = results.read_text()
    # one verdict per output, each a measured ratio
    for target in ("html", "pdf", "jats", "docx"):
        assert re.search(rf"^\| S {target} \(python -m audit build\): product ≤ 1\.10 × floor "
                         r"\| \d+\.\d\d× \| ", text, re.M), target
    # the floor is the manifest's own commands, pandoc and typst among them
    for step in ("ast", "html:pandoc", "pdf:pandoc", "pdf:typst", "jats:pandoc", "docx:pandoc"):
        assert re.search(rf"^\| S \| {re.escape(step)} \| \d+\.\d\d \|", text, re.M), step
    assert re.search(r"^\| S: build when nothing changed ≤ 1\.5 s \| \d+\.\d\d s \|", text, re.M)
    assert re.search(r"^\| S \| \d+\.\d\d \| .* \| – \| – \|$", text, re.M)  # the offline audit row
    # the refresh fetched and locked every DOI from the fake registrar
    assert "records locked [30]" in text
    assert re.search(r"^\| refresh of 30 DOIs ≥ 90% of 50/s, end to end \| \d+\.\d/s", text, re.M)


STAND_IN_NOX = """
import subprocess, sys
args = sys.argv[sys.argv.index("--") + 1:]
raise SystemExit(subprocess.call([sys.executable, "-m", "audit", "build", *args]))
"""


def test_the_whole_build_is_measured_against_every_replayed_step(tmp_path: Path) -> None:
    """bench_full: the build, the same through a nox stand-in, and the floor, in one round."""
    from benchmarks import generate, run

    root = tmp_path / "S"
    generate.generate("S", root)
    stand_in = tmp_path / "nox.py"
    stand_in.write_text(STAND_IN_NOX)
    full = run.bench_full(root, run.Plan(runs=1, timeout=120), [sys.executable, str(stand_in)])
    assert (full.product.n, full.via_nox.n, full.floor.n, full.critical.n) == (1, 1, 1, 1)
    # the floor replays the AST and every output's steps, the critical path only the slowest output's
    assert full.critical.median < full.floor.median
    steps = run.manifest_steps(root)
    assert set(steps) == {"ast", "html", "pdf", "jats", "docx"}
    assert (tmp_path / "S-nox" / "output" / "manuscript.pdf").is_file()  # built through the stand-in
    report = run.Report(run.parse_args(["--quick"]), run.Plan(runs=1, timeout=120))
    report.full["S"] = full
    text = "\n".join(report.render_full())
    assert re.search(r"^\| S \| floor: every manifest step, one after another \| \d+\.\d\d \|.* \| 1\.00 \|$",
                     text, re.M)
    assert re.search(r"^\| S \| through nox: `nox -s build -- --force` \| \d+\.\d\d \|", text, re.M)


def test_each_output_through_nox_is_measured_against_the_copy_it_built(tmp_path: Path) -> None:
    """bench_outputs through a nox stand-in only (as at L and XL): the floor replays the
    manifest of the copy nox built in, and each output gets its verdict row."""
    from benchmarks import generate, run

    root = tmp_path / "S"
    generate.generate("S", root)
    stand_in = tmp_path / "nox.py"
    stand_in.write_text(STAND_IN_NOX)
    plan = run.Plan(runs=1, timeout=120, extra_rounds=1)
    build = run.bench_outputs(root, plan, via_nox=[sys.executable, str(stand_in)], direct=False)
    assert not (root / "output").exists()  # nothing was built in the project itself
    assert set(run.manifest_steps(tmp_path / "S-nox")) == {"ast", "html", "pdf", "jats", "docx"}
    for target, r in build.outputs.items():
        assert (r.product.n, r.via_nox.n, r.floor.n) == (0, 1, 1), target
    report = run.Report(run.parse_args(["--quick"]), plan)
    report.builds["S"] = build
    text = "\n".join(report.summary())
    for target in ("html", "pdf", "jats", "docx"):
        assert re.search(rf"^\| S {target} \(nox -s build\): product ≤ 1\.10 × floor \| \d+\.\d\d× \| ",
                         text, re.M), target
    assert "python -m audit build" not in text
