"""The build, as a list of named steps:

    identifiers  citation by identifier: the works' records from the lock (only when the
               manuscript cites that way, or is a Manubot folder)
    ast        manuscript -> one citeproc-processed AST (citeproc runs once per build)
    citations  every cited key is in the bibliography (file and line of each that is not);
               a draft (the preview's build) goes on, each missing key shown as pandoc marks it
    images     every image the manuscript shows exists
    outputs    each requested format written from the AST, side by side; then the packages
               of outputs (MECA), which bring in the outputs they hold
    manifest   output/manifest.json: hashes, tool versions, every command line
    install    the outputs moved from output/.build into output/

Everything is written in ``output/.build`` and moved into place only when every step
succeeded, so a failed build leaves the previous outputs as they were. Outputs whose
inputs did not change since the last build are not built again (``force`` rebuilds).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit import pandoc
from audit.build import ast, identifiers, manifest
from audit.build.formats import NAMES, Format, load, with_needs
from audit.build.identifiers import Prepared
from audit.build.run import BuildError, Run, source_date_epoch
from audit.config import Config
from audit.errors import InputError
from audit.files import read_text
from audit.styles import StyleError, resolve_style

TARGETS = NAMES


@dataclass
class Build:
    """What the steps hand on to one another."""

    run: Run
    formats: list[Format]
    fingerprint: str
    log: Callable[[str], None]
    prepared: Prepared | None = None  # what the AST step reads
    ast: Path | None = None
    raw: str = ""  # the AST's JSON text
    built: dict[str, Path] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    draft: bool = False  # undefined citations do not stop the build (the preview's)
    undefined: str = ""  # a draft's undefined citations, as a build would report them


def _identifiers(b: Build) -> None:
    b.prepared = identifiers.prepare(b.run)


def _ast(b: Build) -> None:
    assert b.prepared is not None
    b.ast = ast.write_ast(b.run, b.prepared)
    b.raw = b.ast.read_text("utf-8")


def _citations(b: Build) -> None:
    assert b.prepared is not None
    try:
        n_cites = ast.check_citations(b.run, b.prepared, b.raw)
    except BuildError as exc:
        if not b.draft:
            raise
        b.undefined = str(exc)
        b.log(f"draft: {exc}")
        return
    b.log(f"{n_cites} citations, all in the bibliography; building "
          f"{', '.join(f.name for f in b.formats)} ...")


def _images(b: Build) -> None:
    assert b.prepared is not None
    ast.check_images(b.run, b.prepared, b.raw)


def _outputs(b: Build) -> None:
    assert b.ast is not None
    source = b.ast
    direct = [f for f in b.formats if not f.needs]
    with ThreadPoolExecutor(max_workers=max(1, len(direct))) as pool:
        jobs = {f.name: pool.submit(f.write, b.run, source) for f in direct}
        for job in jobs.values():  # every format has finished before any failure is raised
            job.exception()
    b.built = {name: job.result() for name, job in jobs.items()}
    for package in (f for f in b.formats if f.needs):  # made from the outputs just written
        b.built[package.name] = package.write(b.run, source)
    for target in ("ast", *b.built):
        for note in b.run.notes.get(target, []):
            b.log(note)


def _manifest(b: Build) -> None:
    run, config = b.run, b.run.config
    # a draft with undefined citations is never up to date: the next build reports them
    fingerprint = f"draft ({b.undefined.splitlines()[0]})" if b.undefined else b.fingerprint
    outputs: dict[str, Any] = {
        target: {"file": run.rel(config.output / path.name), "sha256": manifest.sha256(path),
                 "fingerprint": fingerprint, "commands": run.steps[target]}
        for target, path in b.built.items()}
    for target, entry in manifest.read(config.output / manifest.NAME).get("outputs", {}).items():
        outputs.setdefault(target, entry)
    style = run.style
    b.manifest = {
        "source_date_epoch": run.epoch,
        "pandoc_version": pandoc.pandoc_version(),
        "typst_version": manifest.typst_version(),
        "style": {"id": style.id, "requested": style.requested, "parent": style.parent,
                  "file": run.rel(style.path), "sha256": style.sha256},
        "inputs": {run.rel(path): manifest.sha256(path) for path in config.files()},
        "ast": {"commands": run.steps["ast"]},
        "outputs": dict(sorted(outputs.items())),
    }


def _install(b: Build) -> None:
    config = b.run.config
    for path in b.built.values():
        os.replace(path, config.output / path.name)
    manifest.write(config.output / manifest.NAME, b.manifest)
    for target in b.built:
        b.log(f"wrote {b.manifest['outputs'][target]['file']}")


STEPS: list[tuple[str, Callable[[Build], None]]] = [
    ("identifiers", _identifiers),
    ("ast", _ast),
    ("citations", _citations),
    ("images", _images),
    ("outputs", _outputs),
    ("manifest", _manifest),
    ("install", _install),
]


def build(config: Config, targets: tuple[str, ...] = TARGETS,
          log: Callable[[str], None] = print, force: bool = False,
          draft: bool = False) -> dict[str, Any]:
    """Build ``targets`` into ``config.output``; returns the manifest.

    Outputs whose inputs did not change since the last build are kept as they are
    (``force`` rebuilds them anyway). A ``draft`` (the preview's build) is not stopped by
    undefined citations: pandoc marks each in the text (the key, in bold, with a question
    mark), and the manifest records the outputs as a draft, so that the next build, draft
    or not, does not take them as up to date.
    """
    targets = with_needs(targets)  # a package (MECA) is built with the outputs it holds
    try:
        style = resolve_style(config.style, search=config.csl_dirs)
    except StyleError as exc:
        raise BuildError(f"style: {exc}") from None
    epoch = source_date_epoch(config.root)
    fp = manifest.fingerprint(config, style, epoch)
    if not force and manifest.up_to_date(config, targets, fp):
        log(f"up to date: {', '.join(targets)} (inputs unchanged; --force rebuilds)")
        return manifest.read(config.output / manifest.NAME)
    try:
        if config.manuscript.is_dir() and not config.files():
            raise InputError("a folder with no Markdown files (nor a content/ folder holding "
                             "some)", file=config.manuscript)
        for path in config.files():
            read_text(path)  # a clear error (file, line) for a missing or non-UTF-8 file
    except InputError as exc:
        raise BuildError(str(exc)) from None
    work = config.output / ".build"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    run = Run(config=config, style=style, epoch=epoch, work=work)
    log(f"style {style.id} ({run.rel(style.path)}), SOURCE_DATE_EPOCH={epoch}")
    state = Build(run, [load(t) for t in targets], fp, log, draft=draft)
    for _name, step in STEPS:
        step(state)
    return state.manifest
