"""What the audit found: one :class:`Finding` per problem, with a stable code."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is. Ordered: ``info < unverified < warning < error``."""

    INFO = "info"
    UNVERIFIED = "unverified"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.UNVERIFIED: 1, Severity.WARNING: 2, Severity.ERROR: 3}


@dataclass(frozen=True)
class Finding:
    """One problem (or one note) about one citation or one reference.

    ``code`` is stable across releases (see the README's table of codes);
    ``field`` names the bibliographic field for ``metadata-mismatch``;
    ``expected`` is what the registrar (or the reference list) says,
    ``found`` what the manuscript's bibliography says.
    """

    code: str
    severity: Severity
    message: str
    key: str | None = None
    file: str | None = None
    line: int | None = None
    field: str | None = None
    expected: str | None = None
    found: str | None = None
    # ``field`` above shadows dataclasses.field inside the class body
    extra: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data.pop("extra")
        return data


def summarize(findings: list[Finding]) -> dict[str, Any]:
    """Counts by severity and by code, the ``summary`` block of every report."""
    by_severity = Counter(f.severity.value for f in findings)
    by_code = Counter(f.code for f in findings)
    return {
        "total": len(findings),
        "by_severity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        "by_code": dict(sorted(by_code.items())),
    }
