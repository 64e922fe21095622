"""Shared test fixtures: where ../shared is, and a built copy of the project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
JATS_DTD = SHARED / "jats-schema" / "jats-1.3" / "dtd" / "JATS-journalpublishing1-3-mathml3.dtd"
EPOCH = "1700000000"


def need_shared(*parts: str) -> Path:
    """A path inside ../shared, or skip the test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared beside the repository)")
    return path


def copy_project(dest: Path) -> Path:
    """A copy of what a build reads: the manuscript, pandoc defaults, styles, configuration."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("manuscript", "pandoc", "csl"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name)
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def render(root: Path, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    """Run the build exactly as ``nox -s build`` does (``python -m audit.render``)."""
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "JATS_SCHEMA_DIR": str(JATS_DTD.parents[1]),
                **(env or {})}
    return subprocess.run([sys.executable, "-m", "audit.render", "--root", str(root), *args],
                          cwd=root, env=full_env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session", autouse=True)
def _bibliography_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The audit's bibliography cache in a folder of the test session's own (the commands
    the tests run inherit it), not the user's ~/.cache."""
    os.environ["AUDIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("audit-cache"))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The review, built once for the session into a copy of the project."""
    root = copy_project(tmp_path_factory.mktemp("build-a") / "project")
    proc = render(root)
    assert proc.returncode == 0, proc.stderr
    return root / "output"


def pandocs_in(root: Path) -> list[int]:
    """pandoc processes working in ``root`` or a folder inside it (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            exe = os.readlink(entry / "exe")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if os.path.basename(exe) == "pandoc" and root.resolve() in (Path(cwd), *Path(cwd).parents):
            found.append(int(entry.name))
    return found
