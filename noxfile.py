"""Sessions: build (and html/pdf/jats/docx/meca), tests, lint, audit, refresh, bench, fake-registrar.

Thin on purpose: each session installs the project once per virtualenv and runs one
command. Virtualenvs are reused; the project is reinstalled only when pyproject.toml
changes.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nox

nox.options.reuse_venv = "yes"
nox.options.sessions = ["build"]
nox.options.default_venv_backend = "venv"

ROOT = Path(__file__).parent

# Bytecode for the project's own modules, kept under .nox/ (not in the source tree) even
# where PYTHONDONTWRITEBYTECODE is set: compiling the package at every command costs
# 0.1-0.15 s, more than a small build's whole overhead.
BYTECODE = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(ROOT / ".nox" / ".pycache")}


def install(session: nox.Session, extras: str = "") -> None:
    """Install the project (editable) unless this venv already has this pyproject.toml."""
    session.env.update(BYTECODE)  # for what the session runs (pip compiled its own packages)
    if session.venv_backend == "none":  # `nox --no-venv`: this environment has the project
        return
    spec = f".[{extras}]" if extras else "."
    stamp = Path(session.virtualenv.location) / ".installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    if not (stamp.is_file() and stamp.read_text() == digest):
        session.install("-e", spec)
        stamp.write_text(digest)


def command(session: nox.Session, *args: str) -> None:
    """``manuscript-audit ARGS...`` with the session's own arguments after them."""
    install(session)
    session.run("manuscript-audit", *args, *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Build HTML, PDF, JATS, DOCX and the MECA package into output/ (and output/manifest.json)."""
    command(session, "build")


@nox.session
def html(session: nox.Session) -> None:
    """Build output/manuscript.html only."""
    command(session, "build", "html")


@nox.session
def pdf(session: nox.Session) -> None:
    """Build output/manuscript.pdf only (pandoc -> typst, no LaTeX)."""
    command(session, "build", "pdf")


@nox.session
def jats(session: nox.Session) -> None:
    """Build output/manuscript.xml only (JATS 1.3 Journal Publishing)."""
    command(session, "build", "jats")


@nox.session
def docx(session: nox.Session) -> None:
    """Build output/manuscript.docx only."""
    command(session, "build", "docx")


@nox.session
def meca(session: nox.Session) -> None:
    """Build output/manuscript-meca.zip (MECA: the JATS, its figures, the PDF and DOCX)."""
    command(session, "build", "meca")


@nox.session
def audit(session: nox.Session) -> None:
    """Audit the manuscript's citations offline, from the metadata lock."""
    command(session, "audit")


@nox.session
def refresh(session: nox.Session) -> None:
    """Fetch missing or stale registrar records into the lock (needs the network)."""
    command(session, "refresh")


@nox.session
def preview(session: nox.Session) -> None:
    """Serve the HTML on 127.0.0.1, rebuilt and reloaded as you write (Ctrl-C stops it)."""
    command(session, "preview")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, and mypy (strict) on the package."""
    install(session, "lint")
    session.run("ruff", "check", "audit", "tests", "benchmarks", "noxfile.py")
    session.run("mypy")


@nox.session(name="fake-registrar")
def fake_registrar(session: nox.Session) -> None:
    """Serve a local Crossref/doi.org/PubMed-format registrar: -- --records FILE [...]."""
    install(session)
    session.run("python", "-m", "audit.sources.fake", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks at 40, 600 and 5,000 references into benchmarks/RESULTS.md (-- --quick to iterate)."""
    install(session, "bench")
    # the interpreter running nox (it has nox): the benchmark times `nox -s build` through it
    session.run("python", "-m", "benchmarks.run", *session.posargs,
                env={"BENCHMARK_NOX_PYTHON": sys.executable})
