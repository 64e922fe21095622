"""Sessions: build (and html/pdf/jats/docx), tests, audit, refresh, lint, bench, fake-registrar.

Thin on purpose: each session installs the project once per virtualenv and
runs one module. Virtualenvs are reused; dependencies are reinstalled only
when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import nox

nox.options.reuse_venv = "yes"
nox.options.sessions = ["build"]
nox.options.default_venv_backend = "venv"

ROOT = Path(__file__).parent
PYTHON = None  # the interpreter nox runs on (3.11+)


# Bytecode for the project's own modules, kept under .nox/ (not in the source tree) even
# where PYTHONDONTWRITEBYTECODE is set: compiling ~8,000 lines at every command costs
# 0.1-0.15 s, more than a small build's whole overhead.
BYTECODE = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(ROOT / ".nox" / ".pycache")}


def install(session: nox.Session, extras: str = "") -> None:
    """Install the project (editable) unless this venv already has this pyproject.toml."""
    spec = f".[{extras}]" if extras else "."
    stamp = Path(session.virtualenv.location) / ".installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    if not (stamp.is_file() and stamp.read_text() == digest):
        session.install("-e", spec)
        stamp.write_text(digest)
    session.env.update(BYTECODE)  # for what the session runs (pip compiled its own packages)


def _render(session: nox.Session, *targets: str) -> None:
    install(session)
    session.run("python", "-m", "audit.render", *targets, *session.posargs)


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build HTML, PDF, JATS and DOCX into output/ (and output/manifest.json)."""
    _render(session)


@nox.session(python=PYTHON)
def html(session: nox.Session) -> None:
    """Build output/manuscript.html only."""
    _render(session, "html")


@nox.session(python=PYTHON)
def pdf(session: nox.Session) -> None:
    """Build output/manuscript.pdf only (pandoc -> typst, no LaTeX)."""
    _render(session, "pdf")


@nox.session(python=PYTHON)
def jats(session: nox.Session) -> None:
    """Build output/manuscript.xml only (JATS 1.3 Journal Publishing)."""
    _render(session, "jats")


@nox.session(python=PYTHON)
def docx(session: nox.Session) -> None:
    """Build output/manuscript.docx only."""
    _render(session, "docx")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the package, the tests and this file."""
    session.install("ruff")
    session.run("ruff", "check", "audit", "tests", "noxfile.py")


def _audit_args(session: nox.Session) -> list[str]:
    """The review, plus the built HTML and JATS when they exist (their links are checked too)."""
    args = ["manuscript/review.md"]
    for flag, name in (("--html", "manuscript.html"), ("--jats", "manuscript.xml")):
        if (ROOT / "output" / name).is_file():
            args += [flag, f"output/{name}"]
    return [*args, *session.posargs]


@nox.session(python=PYTHON)
def audit(session: nox.Session) -> None:
    """Audit the review's citations offline, from the metadata lock."""
    install(session)
    session.run("python", "-m", "audit", *_audit_args(session))


@nox.session(python=PYTHON)
def refresh(session: nox.Session) -> None:
    """Fetch missing or stale registrar records into the lock (needs the network)."""
    install(session)
    session.run("python", "-m", "audit", "--refresh", *_audit_args(session))


@nox.session(name="fake-registrar", python=PYTHON)
def fake_registrar(session: nox.Session) -> None:
    """Serve a local Crossref-format registrar: nox -s fake-registrar -- --records FILE [...]."""
    install(session, "test")
    session.run("python", "tests/fake_registrar.py", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks at 40, 600 and 5,000 references into benchmarks/RESULTS.md (-- --quick to iterate)."""
    import sys

    install(session, "test")
    # the interpreter running nox (it has nox): the benchmark times `nox -s build` through it
    session.run("python", "-m", "benchmarks.run", *session.posargs,
                env={"BENCHMARK_NOX_PYTHON": sys.executable})
