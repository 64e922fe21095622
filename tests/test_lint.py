"""The project's habits hold: ruff is clean on everything, mypy (strict) on the package, and
the pre-commit hooks run the same commands as ``nox -s lint``."""

from __future__ import annotations

import ast
import subprocess
import sys

import yaml

from tests.conftest import ROOT

RUFF = ["ruff", "check", "audit", "tests", "benchmarks", "noxfile.py"]


def test_ruff_is_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", *RUFF], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_is_clean_on_the_package() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_pre_commit_runs_what_the_lint_session_runs() -> None:
    hooks = {h["id"]: h for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
             ["repos"] for h in repo["hooks"]}
    lint = next(node for node in ast.walk(ast.parse((ROOT / "noxfile.py").read_text()))
                if isinstance(node, ast.FunctionDef) and node.name == "lint")
    runs = [[arg.value for arg in call.args if isinstance(arg, ast.Constant)]
            for call in ast.walk(lint) if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute) and call.func.attr == "run"]
    assert runs == [RUFF, ["mypy"]]
    assert hooks["ruff"]["entry"].split() == RUFF
    assert hooks["mypy"]["entry"].split() == ["mypy"]
