"""Starting pandoc's AST step before the build has imported what it needs.

``python -m audit.render`` spends about 0.1 s importing its modules and working out
the AST command (configuration, style, fingerprint) before pandoc can start; on a
small manuscript that is a fifth of the whole build. So the command, before any
of those imports, starts the AST command line that the last build left in
``output/.ast-command``, when this build will most likely need it (``--force``,
a requested output missing, or a file in the manuscript's folder newer than that
record). The build then computes its own command as always and *adopts* the
running process only if it is exactly the same command line, in the same folder,
with the same ``SOURCE_DATE_EPOCH``; otherwise the early process is stopped and
the build runs its own. Outputs are the same either way.

This module imports nothing the interpreter has not loaded at start-up, so that
the early start is early: no ``subprocess`` (``os.posix_spawn``), no ``json``
(the record is NUL-separated text).
"""

from __future__ import annotations

import os
import sys

RECORD = ".ast-command"  # in the output folder: what the last build ran for its AST
LOG = "ast.log"  # in output/.build: the early process's messages (pandoc's warnings)
# each output's file in the output folder (audit.render builds from this table)
OUTPUT_NAMES = {"html": "manuscript.html", "pdf": "manuscript.pdf",
                "jats": "manuscript.xml", "docx": "manuscript.docx"}
_WITH_VALUE = ("--root", "--style")  # options of ``python -m audit.render`` taking a value
_VERSION = "1"


class Early:
    """A started AST process and what it was started with."""

    __slots__ = ("argv", "cwd", "epoch", "log", "pid")

    def __init__(self, pid: int, argv: list[str], cwd: str, epoch: str, log: str) -> None:
        self.pid, self.argv, self.cwd, self.epoch, self.log = pid, argv, cwd, epoch, log


_running: Early | None = None


def bundled_pandoc() -> str | None:
    """The pandoc binary that pypandoc-binary ships, found as an import of pypandoc would."""
    for entry in sys.path:
        path = os.path.join(entry or ".", "pypandoc", "files", "pandoc")
        if os.path.isfile(os.path.join(entry or ".", "pypandoc", "__init__.py")):
            return path if os.path.isfile(path) else None
    return None


def write_record(output: str | os.PathLike[str], argv: list[str], cwd: str | os.PathLike[str],
                 epoch: int, manuscript: str | os.PathLike[str]) -> None:
    """Leave the AST command for the next build's early start (written by the build)."""
    fields = [_VERSION, os.path.realpath(cwd), str(epoch), os.path.realpath(manuscript), *argv]
    if any("\0" in f for f in fields):
        return
    tmp = os.path.join(output, RECORD + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\0".join(fields))
    os.replace(tmp, os.path.join(output, RECORD))


def _options(argv: list[str]) -> tuple[dict[str, str], list[str], set[str]]:
    """(options with values, positional arguments, flags), read as argparse would."""
    values: dict[str, str] = {}
    positional: list[str] = []
    flags: set[str] = set()
    args = iter(argv)
    for arg in args:
        name, eq, value = arg.partition("=")
        if name in _WITH_VALUE:
            values[name] = value if eq else next(args, "")
        elif arg.startswith("-"):
            flags.add(name)
        else:
            positional.append(arg)
    return values, positional, flags


def _needed(output: str, record: str, manuscript: str, targets: list[str]) -> bool:
    """Will this build (not forced) most likely run the AST step? A guess: the build decides."""
    names = [OUTPUT_NAMES.get(t, "?") for t in targets] or list(OUTPUT_NAMES.values())
    if not all(os.path.isfile(os.path.join(output, name)) for name in names):
        return True
    recorded = os.stat(record).st_mtime_ns
    with os.scandir(os.path.dirname(manuscript)) as entries:
        return any(e.is_file() and e.stat().st_mtime_ns > recorded for e in entries)


def start(argv: list[str]) -> None:
    """Start the last build's AST command now when this build will most likely need it.

    Anything unexpected (no record, another layout, an option this does not know)
    means no early start: the build then works exactly as without this module.
    """
    global _running
    values, targets, flags = _options(argv)
    if _running is not None or not flags <= {"--force"}:
        return
    root = os.path.abspath(values.get("--root") or os.getcwd())
    output = os.path.join(root, "output")
    record = os.path.join(output, RECORD)
    pandoc = bundled_pandoc()
    try:
        with open(record, encoding="utf-8") as f:
            version, cwd, epoch, manuscript, *command = f.read().split("\0")
        if (version != _VERSION or not command or command[0] != "pandoc" or pandoc is None
                or os.environ.get("SOURCE_DATE_EPOCH", epoch) != epoch):
            return  # another format, or the build would use another date: not adoptable
        if "--force" not in flags and not _needed(output, record, manuscript, targets):
            return
        work = os.path.join(output, ".build")
        os.makedirs(work, exist_ok=True)
        log = os.path.join(work, LOG)
        env = {**os.environ, "SOURCE_DATE_EPOCH": epoch}
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 2, log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
        here = os.getcwd()
        os.chdir(cwd)  # posix_spawn has no working-directory argument; nothing else runs yet
        try:
            pid = os.posix_spawn(pandoc, [pandoc, *command[1:]], env, file_actions=actions)
        finally:
            os.chdir(here)
    except (OSError, ValueError):
        return
    _running = Early(pid, [pandoc, *command[1:]], cwd, epoch, log)


def running() -> bool:
    """Is an early AST process waiting to be adopted or stopped?"""
    return _running is not None


def take(argv: list[str], cwd: str | os.PathLike[str], epoch: int) -> Early | None:
    """The early process, if it runs exactly this command; otherwise stop it and return None."""
    global _running
    early, _running = _running, None
    if early is None:
        return None
    if early.argv == argv and early.cwd == os.path.realpath(cwd) and early.epoch == str(epoch):
        return early
    stop(early)
    return None


def wait(early: Early) -> tuple[int, str]:
    """Wait for an adopted process: its exit status and what it wrote to stderr."""
    try:
        _, status = os.waitpid(early.pid, 0)
    except BaseException:  # interrupted: leave no pandoc running
        stop(early)
        raise
    with open(early.log, encoding="utf-8", errors="replace") as f:
        return os.waitstatus_to_exitcode(status), f.read()


def cancel() -> None:
    """Stop the early process if the build did not adopt it (up to date, an error...)."""
    global _running
    early, _running = _running, None
    if early is not None:
        stop(early)


def stop(early: Early) -> None:
    import signal

    try:
        os.kill(early.pid, signal.SIGKILL)
        os.waitpid(early.pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
