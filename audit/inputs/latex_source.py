r"""LaTeX source as LaTeX reads it: comments, verbatim environments, ``\verb`` and
``\iffalse`` blocks blanked out (same length and lines), and the main file with each
``\input``, ``\include``, ``\subfile`` and ``\import`` replaced by the file it names,
every line remembering the file and line it comes from (for :mod:`audit.inputs.latex`).
"""

from __future__ import annotations

import bisect
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from audit.errors import InputError
from audit.files import read_text

# --- blanking what LaTeX does not typeset -------------------------------------------------

_VERBATIM_ENVS = frozenset({
    "verbatim", "verbatim*", "Verbatim", "Verbatim*", "BVerbatim", "LVerbatim", "lstlisting",
    "minted", "spverbatim", "comment", "filecontents", "filecontents*"})
_TOKEN = re.compile(r"%|\\([A-Za-z@]+|.)", re.S)
_CONDITIONAL = re.compile(r"\\(if(?!thenelse)[A-Za-z@]*|fi|else)(?![A-Za-z@])")
_LIMIT = 4000  # characters a command's argument may span


def _spaces(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def group_end(text: str, i: int, close: str) -> int:
    """The index after the ``close`` ending the group opened at ``text[i]`` (braces nest,
    backslashes escape); -1 if it does not end within :data:`_LIMIT` characters."""
    depth = 0
    j, stop = i + 1, min(len(text), i + _LIMIT)
    while j < stop:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "}" and depth:
            depth -= 1
        elif c == close and not depth:
            return j + 1
        elif c == "{":
            depth += 1
        elif c == "}":
            return -1
        j += 1
    return -1


def skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\n":
        i += 1
    return i


def _verbatim_end(text: str, name: str, i: int) -> int:
    r"""Where ``\verb|…|`` (``\lstinline``, ``\mintinline{lang}``…) that ``name`` starts at ``i``
    ends: at its closing delimiter, else at the end of the line."""
    if text.startswith("*", i):
        i += 1
    if name in ("lstinline", "Verb") and text.startswith("[", i):
        i = max(group_end(text, i, "]"), i)
    if name == "mintinline":
        i = skip_space(text, i)
        if text.startswith("{", i):
            i = max(group_end(text, i, "}"), i)
    eol = text.find("\n", i)
    eol = len(text) if eol < 0 else eol
    if i >= eol:
        return eol
    if text[i] == "{" and name != "verb":
        end = group_end(text, i, "}")
        return end if end > 0 else eol
    end = text.find(text[i], i + 1, eol)
    return end + 1 if end >= 0 else eol


def _false_branch_end(text: str, i: int) -> int:
    r"""Where the text skipped by ``\iffalse`` (ending at ``i``) ends: its ``\else`` or ``\fi``."""
    depth = 1
    for m in _CONDITIONAL.finditer(text, i):
        word = m.group(1)
        if word == "fi":
            depth -= 1
        elif word == "else":
            if depth == 1:
                return m.end()
        else:
            depth += 1
        if depth == 0:
            return m.end()
    return len(text)


def blank(text: str) -> str:
    r"""``text`` with what LaTeX does not typeset as text blanked out (same length and lines):
    comments, verbatim environments, ``\verb`` and its kin, ``\iffalse`` blocks. The
    argument of ``\url`` and ``\href`` is kept (a ``%`` there is not a comment)."""
    ranges: list[tuple[int, int]] = []
    i = 0
    while (m := _TOKEN.search(text, i)) is not None:
        i = m.end()
        if m.group(0) == "%":
            end = text.find("\n", m.start())
            i = len(text) if end < 0 else end
            ranges.append((m.start(), i))
            continue
        name = m.group(1)
        if name in ("verb", "Verb", "lstinline", "mintinline"):
            i = max(_verbatim_end(text, name, i), i)
            ranges.append((m.start(), i))
        elif name in ("url", "href", "path"):
            j = skip_space(text, i)
            if text.startswith("{", j):
                i = max(group_end(text, j, "}"), i)
        elif name == "begin":
            env = re.match(r"\s*\{([^{}]*)\}", text[i:i + 100])
            if env and env.group(1) in _VERBATIM_ENVS:
                end = text.find("\\end{" + env.group(1) + "}", i + env.end())
                i = len(text) if end < 0 else end + len(env.group(1)) + 6
                ranges.append((m.start(), i))
        elif name == "iffalse":
            i = _false_branch_end(text, i)
            ranges.append((m.start(), i))
    if not ranges:
        return text
    parts, last = [], 0
    for start, end in ranges:
        parts += [text[last:start], _spaces(text[start:end])]
        last = end
    parts.append(text[last:])
    return "".join(parts)


# --- the files, with every \input replaced by the file it names -----------------------

@dataclass(frozen=True)
class Line:
    text: str  # as written
    blank: str  # with comments and verbatim blanked
    file: Path
    number: int
    column: int  # of ``text[0]`` in the file's line, from 0


class Source:
    """The text LaTeX reads, all files spliced, and where each of its lines comes from."""

    def __init__(self, lines: list[Line], files: list[Path]) -> None:
        self.lines = lines or [Line("", "", files[0], 1, 0)]
        self.files = files
        self.text = "\n".join(line.text for line in self.lines)
        self.blank = "\n".join(line.blank for line in self.lines)
        self.starts: list[int] = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line.text) + 1

    def line_at(self, offset: int) -> Line:
        return self.lines[bisect.bisect_right(self.starts, offset) - 1]

    def place(self, offset: int) -> tuple[str, int]:
        line = self.line_at(offset)
        return str(line.file), line.number


_INCLUDE = re.compile(r"\\(input|include|subfile|import|subimport|inputfrom|subinputfrom|"
                      r"includefrom|subincludefrom|bibliography)(?![A-Za-z@])\*?")
_ONE_ARG = re.compile(r"\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_BARE_ARG = re.compile(r"[ \t]+([^\s{}%\\]+)")  # \input file, TeX's own syntax
_TWO_ARGS = re.compile(r"\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_END_DOCUMENT = re.compile(r"\\end\s*\{document\}")
BEGIN_DOCUMENT = re.compile(r"\\begin\s*\{document\}")
_END_INPUT = re.compile(r"\\endinput(?![A-Za-z@])")
# files of the TeX distribution that papers \input (found by kpsewhich when TeX is installed)
_DISTRIBUTION = frozenset({"glyphtounicode", "glyphtounicode-cmr", "pdfglyphlist"})


def _visible(text: str, blanked: str, body_only: bool) -> tuple[str, str]:
    r"""What LaTeX reads of a file (the rest blanked): nothing after ``\end{document}``, nor
    after the line of ``\endinput``; for a ``\subfile``, only what is inside its ``document``."""
    hidden: list[tuple[int, int]] = []
    start, end = 0, len(text)
    if body_only and (begin := BEGIN_DOCUMENT.search(blanked)):
        start = begin.end()
        hidden.append((0, start))
    if (stop := _END_DOCUMENT.search(blanked, start)) is not None:
        end = stop.start() if body_only else stop.end()
    if (cut := _END_INPUT.search(blanked, start, end)) is not None:
        newline = text.find("\n", cut.end())
        hidden.append(cut.span())
        end = min(end, len(text) if newline < 0 else newline)
    hidden.append((end, len(text)))
    for a, b in hidden:
        text = text[:a] + _spaces(text[a:b]) + text[b:]
        blanked = blanked[:a] + _spaces(blanked[a:b]) + blanked[b:]
    return text, blanked


class Reader:
    """Reads the main file and, recursively, the files it inputs."""

    def __init__(self, main: Path) -> None:
        self.main = main
        self.lines: list[Line] = []
        self.files: list[Path] = []

    def read(self, path: Path, base: Path, chain: tuple[tuple[Path, str], ...],
             body_only: bool = False) -> None:
        text = read_text(path).replace("\r\n", "\n").replace("\r", "\n")
        if path not in self.files:
            self.files.append(path)
        text, blanked = _visible(text, blank(text), body_only)
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        pos = 0
        for m in _INCLUDE.finditer(blanked):
            if m.start() < pos:
                continue
            command = m.group(1)
            two = command not in ("input", "include", "subfile", "bibliography")
            arg = (_TWO_ARGS if two else _ONE_ARG).match(blanked, m.end())
            if arg is None and command == "input":
                arg = _BARE_ARG.match(blanked, m.end())
            if arg is None:
                continue
            names = [n.strip().strip('"') for n in arg.groups()]
            if any("#" in n for n in names):  # in a macro's definition
                continue
            line = bisect.bisect_right(starts, m.start())
            written = " ".join(blanked[m.start():arg.end()].split())
            if command == "bibliography":
                target, folder = self.bbl(names[0]), base
                if target is None:  # its .bib files are read (see bibliographies)
                    continue
            else:
                target, folder = self.resolve(command, names, base, written, path, line)
            self.emit(text, blanked, pos, m.start(), path, starts)
            pos = arg.end()
            if target is None:
                continue
            here = target.resolve()
            if any(here == seen for seen, _ in chain):
                cycle = " -> ".join([*(name for _, name in chain), str(target)])
                raise InputError(f"{written} reads {target} again: the files input each other "
                                 f"({cycle})", file=path, line=line)
            self.read(target, folder, (*chain, (here, str(target))), body_only=command == "subfile")
        self.emit(text, blanked, pos, len(text), path, starts)

    def resolve(self, command: str, names: list[str], base: Path, written: str, path: Path,
                line: int) -> tuple[Path | None, Path]:
        """The file an input command names (``None``: a file of the TeX distribution), and the
        folder the files it inputs are relative to."""
        if any("\\" in n for n in names):
            raise InputError(f"{written}: a file name made by a macro cannot be followed",
                             file=path, line=line)
        if len(names) == 2:  # \import{folder}{file}: \subimport's folder is the current one's
            sub = command.startswith("sub")
            folder = (base if sub else self.main.parent) / names[0]
            name = names[1]
        else:
            folder, name = base, names[0]
        tries = [name] if name.endswith(".tex") else [name + ".tex", name]
        folders = [folder] if Path(name).is_absolute() else [folder, Path()]
        for place in folders:
            for candidate in tries:
                if (place / candidate).is_file():
                    return place / candidate, folder
        if Path(name).stem in _DISTRIBUTION or _in_distribution(tries[0]):
            return None, folder
        raise InputError(f"{written}: file not found ({folder / tries[0]})", file=path, line=line)

    def bbl(self, names: str) -> Path | None:
        r"""The .bbl file BibTeX wrote, which LaTeX reads for ``\bibliography{names}``, when one
        of the .bib files it names is not there (a paper shipped with its .bbl)."""
        bbl = self.main.with_suffix(".bbl")
        missing = any(_find_bib(name, "bibliography", self.main.parent) is None
                      for name in names.split(",") if name.strip())
        return bbl if missing and bbl.is_file() else None

    def emit(self, text: str, blanked: str, start: int, end: int, path: Path,
             starts: list[int]) -> None:
        """The lines of ``text[start:end]`` (a whole file, or the part between two inputs)."""
        if start >= end:
            return
        number = bisect.bisect_right(starts, start)
        column = start - starts[number - 1]
        texts = text[start:end].split("\n")
        blanks = blanked[start:end].split("\n")
        if start > 0 and not texts[0].strip():  # the rest of an input command's line
            texts, blanks, number, column = texts[1:], blanks[1:], number + 1, 0
        if texts and not texts[-1].strip():  # the start of an input command's line, or the end
            texts, blanks = texts[:-1], blanks[:-1]
        for i, (t, b) in enumerate(zip(texts, blanks, strict=True)):
            self.lines.append(Line(t, b, path, number + i, column if i == 0 else 0))


def _in_distribution(name: str) -> bool:
    """Whether TeX (when installed) finds ``name`` in its distribution."""
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None:
        return False
    try:
        found = subprocess.run([kpsewhich, name], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return found.returncode == 0 and bool(found.stdout.strip())



# --- bibliography files ---------------------------------------------------------------

_BIBLIOGRAPHY = re.compile(r"\\(bibliography|addbibresource|addglobalbib|addsectionbib)"
                           r"(?![A-Za-z@])\s*(\[[^\]]*\])?\s*\{([^{}]*)\}")


def _bib_name(name: str, command: str) -> str:
    """The file a bibliography command names (BibTeX adds ``.bib``)."""
    name = name.strip()
    return name + ".bib" if command == "bibliography" and not name.endswith(".bib") else name


def _find_bib(name: str, command: str, base: Path) -> Path | None:
    """The bibliography file ``name`` is: beside the main file, else in the current folder."""
    named = Path(_bib_name(name, command))
    tries = [named] if named.is_absolute() else [base / named, named]
    return next((p for p in tries if p.is_file()), None)


def bibliographies(source: Source, base: Path) -> list[Path]:
    r"""The files ``\bibliography`` (BibTeX: ``.bib`` added) and ``\addbibresource`` (BibLaTeX)
    name, beside the main file, else in the current folder."""
    paths: list[Path] = []
    for m in _BIBLIOGRAPHY.finditer(source.blank):
        command, options, names = m.group(1), m.group(2) or "", m.group(3)
        file, line = source.place(m.start())
        for name in (n.strip() for n in names.split(",") if n.strip()):
            if "remote" in options or re.match(r"[a-z]+://", name):
                raise InputError(f"\\{command}{{{name}}}: a remote bibliography cannot be read; "
                                 "download it beside the manuscript", file=file, line=line)
            path = _find_bib(name, command, base)
            if path is None:
                also = f" (nor {base / source.files[0].with_suffix('.bbl').name})" if (
                    command == "bibliography") else ""
                raise InputError(f"\\{command}{{{names.strip()}}}: bibliography file not found: "
                                 f"{base / _bib_name(name, command)}{also}", file=file, line=line)
            if path not in paths:
                paths.append(path)
    return paths


