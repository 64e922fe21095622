"""The early start of the AST step (audit/early.py): adopted only when it is the same command.

Each test runs the build as a user does (``python -m audit.render``), which is the only
way the early start happens, and checks what a user can see: the outputs, the messages,
and that no pandoc is left running in the project.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import copy_project, pandocs_in, render


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("early") / "project")
    proc = render(root, "html")
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs /proc")
def test_a_forced_rebuild_adopts_the_early_ast_and_gives_the_same_bytes(project: Path) -> None:
    record = project / "output" / ".ast-command"
    assert record.read_text().split("\0")[4] == "pandoc"
    before = (project / "output" / "manuscript.html").read_bytes()
    log = project / "output" / ".build" / "ast.log"
    log.unlink(missing_ok=True)
    proc = render(project, "--force", "html")
    assert proc.returncode == 0, proc.stderr
    assert log.is_file()  # only the early start writes pandoc's messages there
    assert (project / "output" / "manuscript.html").read_bytes() == before
    assert not pandocs_in(project)


def test_another_style_is_not_built_from_the_early_ast(project: Path) -> None:
    """The early start runs the last build's command (Vancouver); the build wants APA."""
    proc = render(project, "--force", "--style", "apa", "html")
    assert proc.returncode == 0, proc.stderr
    html = (project / "output" / "manuscript.html").read_text()
    assert "et al., 20" in html  # author-date citations, not [1]
    assert not pandocs_in(project)
    proc = render(project, "--force", "html")  # back to the configured style, for the next tests
    assert proc.returncode == 0, proc.stderr


def test_a_guess_that_was_wrong_is_stopped_and_the_build_is_up_to_date(project: Path) -> None:
    """A touched (unchanged) manuscript makes the early start guess a rebuild; it is not one."""
    manuscript = project / "manuscript" / "review.md"
    html = project / "output" / "manuscript.html"
    stamp = html.stat().st_mtime_ns
    later = time.time() + 5
    os.utime(manuscript, (later, later))
    proc = render(project, "html")
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stderr
    assert html.stat().st_mtime_ns == stamp
    assert not pandocs_in(project)


def test_an_error_before_the_ast_step_stops_the_early_process(project: Path) -> None:
    proc = render(project, "--force", "--style", "no-such-style-anywhere", "html")
    assert proc.returncode == 1
    assert "unknown CSL style 'no-such-style-anywhere'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not pandocs_in(project)


def test_a_record_in_another_format_means_no_early_start(project: Path) -> None:
    record = project / "output" / ".ast-command"
    record.write_text("0\0garbage")
    log = project / "output" / ".build" / "ast.log"
    log.unlink(missing_ok=True)
    proc = render(project, "--force", "html")
    assert proc.returncode == 0, proc.stderr
    assert not log.exists()
    assert record.read_text().startswith("1\0")  # the build wrote a fresh record
