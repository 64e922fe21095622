"""The README's promises hold: every command it shows is run here, and its examples (the
style names, the error message, the suppressions file, the finding codes, the report's
schema, the settings) are what the tool does.

nox sessions run through the project's real ``noxfile.py`` with ``nox --no-venv`` in a
copy of the project: the session's own command, in this environment, where the project is
installed (creating the session's venv is what ``.ci/run`` and CI do).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from audit.model import CODES
from audit.styles import StyleError, resolve_style
from tests.conftest import EPOCH, ROOT, copy_project

README = (ROOT / "README.md").read_text("utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, re.S)
PROSE = re.sub(r"```.*?```", "", README, flags=re.S)
COMMAND = re.compile(r"^(?:[A-Z_]+=\S+ )*(?:nox|manuscript-audit|python3? -m|pip|pytest|mypy|ruff)\b")

pytestmark = pytest.mark.slow


def readme_commands() -> set[str]:
    """Every command line the README shows: in ``sh`` blocks (without comments) and in code
    spans of the prose that start like a command."""
    found = set()
    for lang, body in BLOCKS:
        if lang == "sh":
            found.update(line.split("  #")[0].strip() for line in body.splitlines() if line.strip())
    # a bare name (`nox`, `pytest`) names a tool; with an argument, it is a command
    found.update(span for span in re.findall(r"`([^`\n]+)`", PROSE)
                 if COMMAND.match(span) and " " in span)
    return found


# --- running a command as a user would, in a copy of the project ------------------------------

@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("readme") / "project")
    shutil.copy2(ROOT / "noxfile.py", root / "noxfile.py")
    return root


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("JATS_SCHEMA_DIR", "MANUSCRIPT_STYLE")}
    return {**out, "SOURCE_DATE_EPOCH": EPOCH}


def shell(command: str, cwd: Path, extra: dict[str, str] | None = None, timeout: float = 600
          ) -> subprocess.CompletedProcess[str]:
    """``command`` as the README writes it, with ``nox`` run without creating a venv and
    ``python``/``python3`` being this interpreter."""
    head = f"{sys.executable} -m nox --no-venv"
    line = re.sub(r"(^|\s)nox\b", lambda m: f"{m.group(1)}{head}", command, count=1)
    line = re.sub(r"(^|\s)python3? -m\b", lambda m: f"{m.group(1)}{sys.executable} -m", line, count=1)
    bin_dir = str(Path(sys.executable).parent)  # manuscript-audit, pytest, ruff, mypy
    full = {**env(), **(extra or {}), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=timeout)


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return proc.stdout + proc.stderr


def manifest(project: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((project / "output" / "manifest.json").read_text())
    return data


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small manuscript of one's own, as ``python -m audit paper.md`` expects one."""
    folder = tmp_path_factory.mktemp("paper")
    items = json.loads((ROOT / "manuscript" / "references.json").read_text("utf-8"))[:3]
    (folder / "refs.json").write_text(json.dumps(items), "utf-8")
    cites = "; ".join(f"@{item['id']}" for item in items)
    (folder / "paper.md").write_text(f"---\ntitle: A paper\nbibliography: refs.json\n---\n\n"
                                     f"A claim [{cites}].\n", "utf-8")
    shutil.copy(ROOT / "manuscript" / "references.lock.json", folder / "references.lock.json")
    return folder


def _free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def run_build(command: str) -> Callable[[Path, Path], None]:
    def check(project: Path, paper: Path) -> None:
        out = ok(shell(command, project))
        assert re.search(r"wrote output/manuscript\.\w+|up to date", out), out
    return check


def check_force(project: Path, paper: Path) -> None:
    out = ok(shell("nox -s build -- --force", project))
    assert all(f"wrote output/manuscript.{ext}" in out for ext in ("html", "pdf", "xml", "docx"))


def check_force_pdf(project: Path, paper: Path) -> None:
    out = ok(shell("manuscript-audit build --force pdf", project))
    assert "wrote output/manuscript.pdf" in out and "manuscript.html" not in out


def check_vancouver(project: Path, paper: Path) -> None:
    ok(shell("MANUSCRIPT_STYLE=vancouver nox -s build", project))
    style = manifest(project)["style"]
    assert isinstance(style, dict)
    assert (style["requested"], style["id"], style["parent"]) == (
        "vancouver", "vancouver-nlm", "nlm-citation-sequence")


def check_csl_file(project: Path, paper: Path) -> None:
    shutil.copy(resolve_style("apa").path, project / "csl" / "my-journal.csl")
    ok(shell("nox -s html -- --style csl/my-journal.csl", project))
    style = manifest(project)["style"]
    assert isinstance(style, dict) and style["file"] == "csl/my-journal.csl"
    assert "Tomasian &amp; Jennings, 2023" in (project / "output" / "manuscript.html").read_text()


def check_audit(project: Path, paper: Path) -> None:
    ok(shell("nox -s build", project))
    out = ok(shell("nox -s audit", project))
    assert "manuscript-audit audit" in out  # the command the session runs
    assert re.search(r"\d+ references, \d+ citations: 0 errors", out), out


def check_refresh(project: Path, paper: Path) -> None:
    """The fake registrar by hand, then the refresh against it, as the README shows them."""
    port = 8765 if _free(8765) else _free_port()
    start = "nox -s fake-registrar -- --records manuscript/references.json --port 8765"
    assert start in readme_commands()
    server = subprocess.Popen(["bash", "-c", shell_line(start.replace("8765", str(port)))],
                              cwd=project, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        deadline = time.monotonic() + 30
        while "fake registrar:" not in line and time.monotonic() < deadline:
            line = server.stdout.readline()
        assert f"at http://127.0.0.1:{port}" in line, line
        refresh = ("AUDIT_CROSSREF_URL=http://127.0.0.1:8765 AUDIT_DOI_URL=http://127.0.0.1:8765 "
                   "nox -s refresh").replace("8765", str(port))
        out = ok(shell(refresh, project, {name: f"http://127.0.0.1:{port}" for name in (
            "AUDIT_PUBMED_URL", "AUDIT_PMC_URL", "AUDIT_ARXIV_URL")}))
        assert "manuscript-audit refresh" in out and "0 errors" in out
    finally:  # the shell, nox and the server it started: the whole group, as Ctrl-C would
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shell_line(command: str) -> str:
    return re.sub(r"(^|\s)nox\b", lambda m: f"{m.group(1)}{sys.executable} -m nox --no-venv",
                  command, count=1)


def check_paper(project: Path, paper: Path) -> None:
    out = shell("python -m audit paper.md", paper)
    assert out.returncode in (0, 1) and "Traceback" not in out.stderr
    assert "3 references, 3 citations" in out.stdout


def check_paper_json(project: Path, paper: Path) -> None:
    ok(shell("python -m audit paper.md --format json --output report.json", paper))
    report = json.loads((paper / "report.json").read_text())
    assert set(report) == {"summary", "findings", "suppressed"}


def check_tests(project: Path, paper: Path) -> None:
    """The tests session runs pytest (here only collecting, not the suite again)."""
    shutil.copytree(ROOT / "tests", project / "tests", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    out = ok(shell("nox -s tests -- --collect-only -q tests/test_identifiers.py", project))
    assert "nox > pytest" in out and re.search(r"\d+ tests collected", out)
    # .ci/run's MANUSCRIPT_AUDIT_REQUIRE_BROWSER=1 reaches pytest through nox: with no
    # chromium, a browser test fails (it would be skipped without the variable)
    (project / "tests" / "test_needs_a_browser.py").write_text(
        'pytest_plugins = ("tests.browser",)\n\n\n'
        "def test_needs_a_browser(browser_page: object) -> None:\n    pass\n")
    no_chromium = {"CHROMIUM": str(project / "no-chromium")}
    skipped = ok(shell("nox -s tests -- -q -rs tests/test_needs_a_browser.py", project,
                       {**no_chromium, "MANUSCRIPT_AUDIT_REQUIRE_BROWSER": ""}))  # unset, as off CI
    assert "1 skipped" in skipped and "no chromium" in skipped, skipped
    failed = shell("nox -s tests -- -q tests/test_needs_a_browser.py", project,
                   {**no_chromium, "MANUSCRIPT_AUDIT_REQUIRE_BROWSER": "1"})
    assert failed.returncode != 0 and "1 error" in failed.stdout, failed.stdout[-2000:]
    assert "MANUSCRIPT_AUDIT_REQUIRE_BROWSER=1 requires it" in failed.stdout


def check_lint(project: Path, paper: Path) -> None:
    out = ok(shell("nox -s lint", ROOT))
    assert "nox > ruff check audit tests benchmarks noxfile.py" in out and "nox > mypy" in out


def check_bench(project: Path, paper: Path) -> None:
    """The bench session's command, on the smallest inputs (tests/test_benchmarks.py runs
    every case; the full run takes minutes and is not a test)."""
    out = ok(shell("nox -s bench -- --help", ROOT))
    assert "nox > python -m benchmarks.run --help" in out


def check_session(session: str, command: str) -> Callable[[Path, Path], None]:
    """``nox -s SESSION`` runs ``COMMAND`` (its echo, by nox)."""
    def check(project: Path, paper: Path) -> None:
        ok(shell("nox -s build", project))
        out = ok(shell(f"nox -s {session}", project))
        assert f"nox > {command}" in out, out
    return check


def check_manubot(project: Path, paper: Path) -> None:
    """The Manubot commands, in a Manubot-style project (a content/ folder citing only by
    identifier): the refresh against the fake registrar serving its works, then the audit
    offline from the lock it wrote, then the build."""
    from audit.sources.fake import FakeRegistrar
    from tests.build.test_citation_by_identifier import make_project

    root = make_project(project.parent / "manubot")
    shutil.copy2(ROOT / "noxfile.py", root / "noxfile.py")
    lock = root / "content" / "references.lock.json"
    records = {doi: entry["record"] for doi, entry in json.loads(lock.read_text())["records"].items()}
    lock.unlink()
    with FakeRegistrar(records) as server:
        urls = {name: server.url for name in ("AUDIT_CROSSREF_URL", "AUDIT_DOI_URL", "AUDIT_PUBMED_URL")}
        out = ok(shell("manuscript-audit refresh content", root, urls))
    assert "0 errors" in out and json.loads(lock.read_text())["records"]
    out = ok(shell("manuscript-audit audit content", root))
    assert "0 errors" in out
    out = ok(shell("nox -s build", root))
    assert "wrote output/manuscript.xml" in out


def check_preview(project: Path, paper: Path) -> None:
    """The preview, as the README starts it (on a free port), then stopped with Ctrl-C."""
    import signal
    import urllib.request

    port = _free_port()
    command = shell_line(f"nox -s preview -- --port {port}")
    bin_dir = str(Path(sys.executable).parent)
    server = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=project, text=True,
                              env={**env(), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        page = b""
        while time.monotonic() < deadline and not page:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    page = answer.read()
            except OSError:
                time.sleep(0.2)
        assert b'id="audit-preview"' in page
    finally:
        os.killpg(server.pid, signal.SIGINT)
        out, _ = server.communicate(timeout=60)
    assert "nox > manuscript-audit preview" in out and "Traceback" not in out
    assert "stopping the preview" in out


COMMANDS: dict[str, Callable[[Path, Path], None]] = {
    # the quick start's set-up: .ci/run does it, and CI runs .ci/run (see below)
    "python3 -m venv .venv && . .venv/bin/activate && pip install nox": lambda p, q: None,
    "nox -s build": run_build("nox -s build"),
    "nox -s tests": check_tests,
    "nox -s build -- --force": check_force,
    "manuscript-audit build --force pdf": check_force_pdf,
    "python -m audit paper.md": check_paper,
    "python -m audit paper.md --format json --output report.json": check_paper_json,
    "MANUSCRIPT_STYLE=vancouver nox -s build": check_vancouver,
    "nox -s html -- --style csl/my-journal.csl": check_csl_file,
    "nox -s audit": check_audit,
    "nox -s refresh": check_refresh,
    "nox -s fake-registrar -- --records manuscript/references.json --port 8765": check_refresh,
    "AUDIT_CROSSREF_URL=http://127.0.0.1:8765 AUDIT_DOI_URL=http://127.0.0.1:8765 nox -s refresh":
        check_refresh,
    "nox -s html": check_session("html", "manuscript-audit build html"),
    "nox -s pdf": check_session("pdf", "manuscript-audit build pdf"),
    "nox -s jats": check_session("jats", "manuscript-audit build jats"),
    "nox -s docx": check_session("docx", "manuscript-audit build docx"),
    "nox -s meca": check_session("meca", "manuscript-audit build meca"),
    "nox -s lint": check_lint,
    "nox -s preview": check_preview,
    "manuscript-audit preview": check_preview,
    "nox -s bench": check_bench,
    "nox -s fake-registrar": check_refresh,
    "manuscript-audit refresh content": check_manubot,
    "manuscript-audit audit content": check_manubot,
    "manuscript-audit build": run_build("manuscript-audit build"),
    "manuscript-audit build html": check_session("html", "manuscript-audit build html"),
    "manuscript-audit build meca": check_session("meca", "manuscript-audit build meca"),
    "manuscript-audit audit": check_audit,
    "manuscript-audit refresh": check_refresh,
    "python -m audit": check_paper,
    "python -m benchmarks.run": check_bench,
    "python -m audit.sources.fake": check_refresh,
    "ruff check …": check_lint,
}


def test_every_command_the_readme_shows_is_run_here() -> None:
    assert readme_commands() == set(COMMANDS)


# each check once, named by the first command it runs for
CHECKS = {check: command for command, check in reversed(COMMANDS.items())}


@pytest.mark.parametrize("command", sorted(CHECKS.values()))
def test_readme_command(command: str, project: Path, paper: Path) -> None:
    COMMANDS[command](project, paper)


def test_the_quick_start_is_what_ci_runs() -> None:
    """The quick start's set-up, then the README's test command: CI runs ``.ci/run``."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"python3 -m venv \S+", ci) and "pip install --quiet nox" in ci
    assert ci.rstrip().splitlines()[-1] == "nox -s tests"
    assert "export MANUSCRIPT_AUDIT_REQUIRE_BROWSER=1" in ci  # CI always has the browser


# --- the README's examples ---------------------------------------------------------------------

def test_the_style_error_shown_is_the_one_given() -> None:
    shown = re.search(r"\(`(unknown CSL style '[^`]+)`\)", README.replace("\n", " "))
    assert shown is not None
    with pytest.raises(StyleError) as caught:
        resolve_style("skeletal-radiolgy")
    assert str(caught.value) == " ".join(shown.group(1).split())


def test_the_common_style_names_resolve() -> None:
    names = re.search(r"The names people type resolve to the style they mean: (.*?);", README, re.S)
    assert names is not None
    listed = re.findall(r"`([a-z-]+)`", names.group(1))
    assert {"vancouver", "nlm", "ama", "apa", "chicago", "harvard", "ieee", "nature"} <= set(listed)
    for name in listed:
        resolve_style(name)


def test_the_suppressions_example_suppresses(tmp_path: Path) -> None:
    (example,) = [body for lang, body in BLOCKS if lang == "yaml"]
    rule = yaml.safe_load(example)["suppressions"][0]
    md = tmp_path / "paper.md"
    md.write_text("---\nbibliography: refs.json\n---\n\nText [@urch2004].\n")
    (tmp_path / "refs.json").write_text(json.dumps([{
        "id": rule["key"], "type": "article-journal", "title": "A study", "container-title": "J"}]))
    (tmp_path / ".audit-suppressions.yaml").write_text(example)
    out = subprocess.run([sys.executable, "-m", "audit", str(md), "--format", "json"],
                         capture_output=True, text=True, cwd=tmp_path)
    report = json.loads(out.stdout)
    assert [(f["code"], f["key"], f["reason"]) for f in report["suppressed"]] == [
        (rule["code"], rule["key"], rule["reason"])]


def test_the_finding_codes_table_is_the_registry() -> None:
    section = README.split("### Finding codes", 1)[1].split("###", 1)[0]
    rows = re.findall(r"^\| `([a-z-]+)` \|", section, re.M)
    assert set(rows) == set(CODES)


def test_the_json_schema_shown_is_the_reports(paper: Path) -> None:
    fields = re.search(r'"findings": \[\{(.*?)\}\]', README, re.S)
    assert fields is not None
    shown = re.findall(r'"(\w+)"', fields.group(1))
    out = subprocess.run([sys.executable, "-m", "audit", "paper.md", "--format", "json"],
                         capture_output=True, text=True, cwd=paper)
    (finding, *_) = json.loads(out.stdout)["findings"]
    assert set(shown) <= set(finding)


def test_the_settings_table_names_real_options_and_variables() -> None:
    from audit.cli import audit_parser
    from audit.sources import ENVIRONMENT

    section = README.split("| setting | option | environment |", 1)[1].split("\n\n", 1)[0]
    options = set(re.findall(r"`(--[a-z-]+)`", section))
    variables = set(re.findall(r"`([A-Z_]{4,})`", section))
    known = {o for action in audit_parser()._actions for o in action.option_strings}
    assert options and options <= known
    assert variables == set(ENVIRONMENT.values()) | {"AUDIT_CACHE_DIR"}


def test_the_layout_table_matches_the_tree() -> None:
    """Every path the layout table names exists, every module it names in ``audit/`` too, and
    everything the repository tracks at its top level has a row."""
    section = README.split("## Repository layout", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (.*) \|$", section, re.M)
    paths = {path.rstrip("/") for path, _ in rows}
    for path in paths:
        assert (ROOT / path).exists(), path
    audit_row = next(text for path, text in rows if path == "audit/")
    for name in re.findall(r"`([\w/.]+)`", audit_row):
        if name.endswith(("/", ".py")):
            assert (ROOT / "audit" / name).exists(), name
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    top = {name if name.startswith(".ci/") else name.split("/", 1)[0] for name in tracked}
    assert top - {"README.md", ".gitignore"} <= paths, top - paths
