"""Suppressions: an author accepts a finding, with a reason, so that it stays accepted.

The file is YAML, ``.audit-suppressions.yaml`` beside the manuscript by default::

    suppressions:
      - code: doi-missing
        key: urch2004
        reason: "Palliative Medicine 2004 has no DOI registered for this article"
      - code: metadata-mismatch
        key: anchala2014
        field: page
        reason: "the DOI suffix and the printed pages differ at the publisher"

An entry matches a finding when the codes are equal and, when given, the key
and the field are equal (``"*"`` or no value matches any). Every problem in
the file is a :class:`SuppressionError` naming ``path:line``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import yaml

from audit.errors import InputError
from audit.model import CODES, Finding

__all__ = [
    "DEFAULT_FILENAME",
    "Suppression",
    "SuppressionError",
    "apply_suppressions",
    "default_path",
    "load_suppressions",
]

DEFAULT_FILENAME = ".audit-suppressions.yaml"
WILDCARD = "*"
_ENTRY_KEYS = ("code", "key", "field", "reason")
_NULL_TAG = "tag:yaml.org,2002:null"


class SuppressionError(InputError):
    """A suppressions file that cannot be used; ``str()`` is ``path:line: message``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        super().__init__(message, file=path, line=line)
        self.path = str(path)
        self.detail = message


@dataclass(frozen=True)
class Suppression:
    """One accepted finding: ``code`` must match; ``key``/``field`` match when given.

    ``line`` is the entry's line in the file (1-based); ``source`` the file.
    """

    code: str
    key: str | None
    field: str | None
    reason: str
    line: int
    source: str | None = None

    def matches(self, finding: Finding) -> bool:
        if finding.code != self.code:
            return False
        if self.key not in (None, WILDCARD) and finding.key != self.key:
            return False
        return self.field in (None, WILDCARD) or finding.field == self.field

    @property
    def location(self) -> str:
        """``path:line`` of the entry (for "unused suppression" messages)."""
        return f"{self.source}:{self.line}" if self.source else f"line {self.line}"


def default_path(manuscript: Path) -> Path:
    """The default suppressions file: ``.audit-suppressions.yaml`` beside ``manuscript``."""
    return manuscript.parent / DEFAULT_FILENAME


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar(path: Path, node: yaml.Node, what: str) -> str | None:
    if not isinstance(node, yaml.ScalarNode):
        raise SuppressionError(path, _line(node), f"'{what}' must be a single value")
    if node.tag == _NULL_TAG:
        return None
    text = node.value.strip()
    return text or None


def _entry(path: Path, node: yaml.Node) -> Suppression:
    line = _line(node)
    if not isinstance(node, yaml.MappingNode):
        raise SuppressionError(path, line, "each suppression must be a mapping with "
                               "'code', 'reason' and optionally 'key' and 'field'")
    values: dict[str, str | None] = {}
    for key_node, value_node in node.value:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if name not in _ENTRY_KEYS:
            raise SuppressionError(
                path, _line(key_node),
                f"unknown key {name!r} in suppression (allowed: {', '.join(_ENTRY_KEYS)})")
        if name in values:
            raise SuppressionError(path, _line(key_node), f"duplicate key {name!r}")
        values[name] = _scalar(path, value_node, name)
    code = values.get("code")
    if not code:
        raise SuppressionError(path, line, "suppression without a 'code'")
    if code not in CODES:
        near = difflib.get_close_matches(code, list(CODES), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise SuppressionError(path, line, f"unknown finding code '{code}'{hint}")
    reason = values.get("reason")
    if not reason:
        raise SuppressionError(path, line,
                               f"suppression of '{code}' has no 'reason' (say why it is accepted)")
    return Suppression(code=code, key=values.get("key"), field=values.get("field"),
                       reason=reason, line=line, source=str(path))


def load_suppressions(path: Path, *, required: bool = True) -> list[Suppression]:
    """The suppressions in ``path``, in file order.

    A missing file gives ``[]`` unless ``required`` (pass ``required=False``
    for the default path, ``True`` for a path the user named).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise SuppressionError(path, None, "suppressions file not found") from None
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise SuppressionError(path, None, f"cannot read suppressions file ({exc})") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "syntax error"
        raise SuppressionError(path, line, f"invalid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise SuppressionError(path, None, f"invalid YAML: {exc}") from exc
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL_TAG):
        return []
    if not isinstance(root, yaml.MappingNode):
        raise SuppressionError(path, _line(root),
                               "expected a mapping with a 'suppressions' list at the top")
    entries: yaml.Node | None = None
    for key_node, value_node in root.value:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if name != "suppressions":
            raise SuppressionError(path, _line(key_node),
                                   f"unknown top-level key {name!r} (expected 'suppressions')")
        entries = value_node
    if entries is None or (isinstance(entries, yaml.ScalarNode) and entries.tag == _NULL_TAG):
        return []
    if not isinstance(entries, yaml.SequenceNode):
        raise SuppressionError(path, _line(entries), "'suppressions' must be a list")
    return [_entry(path, node) for node in entries.value]


def apply_suppressions(
    findings: list[Finding], suppressions: list[Suppression]
) -> tuple[list[Finding], list[tuple[Finding, str]], list[Suppression]]:
    """Split ``findings`` into (kept, suppressed with reason, unused suppressions).

    A finding is suppressed by the first entry that matches it; an entry may
    suppress many findings. Unused entries keep their file order.
    """
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, str]] = []
    used: set[int] = set()
    for finding in findings:
        for index, suppression in enumerate(suppressions):
            if suppression.matches(finding):
                suppressed.append((finding, suppression.reason))
                used.add(index)
                break
        else:
            kept.append(finding)
    unused = [s for i, s in enumerate(suppressions) if i not in used]
    return kept, suppressed, unused
