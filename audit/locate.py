"""Places in a manuscript's text: where each ``@key`` is (outside code), the front matter,
and the line of a front-matter error that pandoc reports relative to its YAML block.

pandoc's AST carries no source positions, so a citation found in the AST is *located* in
the text: the n-th occurrence of ``@key`` in the AST is matched with the n-th occurrence
of ``@key`` in the text outside code.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.pandoc import PandocError

_FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?\1")
_KEY_CHARS = r"[\w:.#$%&\-+?<>~/]"


def blank_code(text: str) -> str:
    """``text`` with fenced code blocks and code spans blanked out (same length and lines)."""
    lines = text.split("\n")
    fence: str | None = None
    for i, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(2)[0] * len(match.group(2))
            lines[i] = " " * len(line)
        elif fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) <= set(fence[0]):
                fence = None
            lines[i] = " " * len(line)
    blanked = "\n".join(lines)
    return _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), blanked)


_CITE_AT = re.compile(r"(?<![\w@])@(?:\{([^{}]+)\}|(" + _KEY_CHARS + r"*\w))")


def occurrences(text: str) -> dict[str, list[int]]:
    """Offsets of every ``@key`` (or ``@{key}``) in ``text``, by key, in one pass.

    An ``@`` preceded by a word character (an e-mail address) starts no key.
    """
    found: dict[str, list[int]] = defaultdict(list)
    for hit in _CITE_AT.finditer(text):
        found[hit.group(1) or hit.group(2)].append(hit.start())
    return found


def locate(text: str, keys_in_order: list[str]) -> list[int | None]:
    """Line number for each citation key in AST order (``None`` where it cannot be found)."""
    searchable = blank_code(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", searchable)]
    found = occurrences(searchable)
    seen: dict[str, int] = defaultdict(int)
    lines: list[int | None] = []
    for key in keys_in_order:
        offsets = found.get(key)
        index = seen[key]
        seen[key] += 1
        lines.append(_line_of(line_starts, offsets[min(index, len(offsets) - 1)]) if offsets else None)
    return lines


def _line_of(line_starts: list[int], offset: int) -> int:
    return bisect.bisect_right(line_starts, offset)



def pandoc_input_error(path: Path | str, text: str, exc: PandocError) -> InputError:
    """pandoc's failure to read a manuscript, as an error at the right file and line."""
    return InputError(_explain_pandoc(exc.message), file=path,
                      line=_yaml_line(text, exc.message) or exc.line)


def _explain_pandoc(message: str) -> str:
    if "YAML" in message:
        return "malformed YAML front matter: " + message
    return message


_DUPLICATE_KEY = re.compile(r"YAML warning \(line (\d+) column \d+\): Duplicate key: (\S+)")


def duplicate_key(path: Path, text: str, warnings: list[str]) -> InputError | None:
    """A duplicate key in a YAML metadata block (invalid YAML, which pandoc only warns about,
    keeping the last value silently), as an error at the second occurrence of the key."""
    for warning in warnings:
        match = _DUPLICATE_KEY.search(warning)
        if not match:
            continue
        fence, dotted = int(match.group(1)), match.group(2).lstrip(".")
        name = re.escape(dotted.rsplit(".", 1)[-1])
        pattern = re.compile(r"^\s*(?:-\s+)?(?:" + name + r"|'" + name + r"'|\"" + name + r"\")\s*:")
        lines = text.split("\n")
        hits = []
        for number in range(fence + 1, len(lines) + 1):  # the block's lines after its '---'
            line = lines[number - 1]
            if line.rstrip() in ("---", "..."):
                break
            if pattern.match(line):
                hits.append(number)
        first = f" (first at line {hits[0]})" if len(hits) > 1 else ""
        return InputError(f"malformed YAML front matter: duplicate key '{dotted}'{first}",
                          file=path, line=hits[1] if len(hits) > 1 else fence)
    return None


def _yaml_line(text: str, message: str) -> int | None:
    """pandoc reports YAML errors relative to the metadata block; make the line absolute."""
    block = re.search(r"YAML metadata at \(line (\d+)", message)  # the block's opening '---'
    fence = int(block.group(1)) if block else next(
        (i + 1 for i, line in enumerate(text.split("\n")) if line.strip() == "---"), 1)
    match = re.search(r"YAML parse exception at line (\d+)", message)
    if match:
        return fence + int(match.group(1))
    return _pyyaml_line(text, fence)


def _pyyaml_line(text: str, fence: int) -> int | None:
    """The line PyYAML finds for a YAML error pandoc gives no line for (e.g. an unknown alias)."""
    import yaml

    lines = text.split("\n")[fence:]
    end = next((i for i, line in enumerate(lines) if line.rstrip() in ("---", "...")), len(lines))
    try:
        yaml.safe_load("\n".join(lines[:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return fence + mark.line + 1 if mark is not None else None
    return None


# --- the front matter -----------------------------------------------------------------

def front_matter(text: str) -> dict[str, Any]:
    """The first YAML block of a Markdown text, read without pandoc (empty when there is
    none or it does not parse: pandoc's reading is the one that reports errors)."""
    import yaml

    if not text.startswith("---"):
        return {}
    block = text[3:].split("\n---", 1)[0].split("\n...", 1)[0]
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def declared(named: object, base: Path) -> list[Path]:
    """A ``bibliography:`` value (one name or a list) as paths: as written, else beside the
    manuscript (``base``)."""
    names = named if isinstance(named, list) else [named] if named else []
    paths = []
    for name in names:
        path = Path(str(name))
        paths.append(path if path.is_absolute() or path.exists() else base / path)
    return paths
