"""JUnit XML, for CI test reporters: a failure per finding at or above ``--fail-on``."""

from __future__ import annotations

import re
from typing import Any

from audit.model import Finding, Severity
from audit.report.common import ReportContext, details, severity_of, sort_findings, sort_pairs, where

JUNIT_SUITE = "citation-audit"


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: Any) -> str:
    return _XML_INVALID.sub("\ufffd", str(value))


def render(findings: list[Finding], context: ReportContext) -> str:
    from lxml import etree

    threshold = Severity(context.fail_on).rank
    suite = etree.Element("testsuite", name=JUNIT_SUITE)
    failures = skipped = tests = 0

    def testcase(finding: Finding) -> Any:
        name = finding.key or where(finding) or finding.code
        case = etree.SubElement(suite, "testcase", classname=finding.code, name=_xml_text(name))
        if finding.file:
            case.set("file", _xml_text(finding.file))
        if finding.line:
            case.set("line", str(finding.line))
        return case

    for finding in sort_findings(findings):
        tests += 1
        case = testcase(finding)
        severity = severity_of(finding)
        if severity.rank >= threshold:
            failures += 1
            failure = etree.SubElement(case, "failure", type=finding.code,
                                       message=_xml_text(finding.message))
            failure.text = _xml_text(details(finding))
        elif severity is Severity.UNVERIFIED:
            skipped += 1
            etree.SubElement(case, "skipped", message=_xml_text(finding.message))
        else:
            out = etree.SubElement(case, "system-out")
            out.text = _xml_text(details(finding))
    for finding, reason in sort_pairs(context.suppressed):
        tests += 1
        skipped += 1
        case = testcase(finding)
        etree.SubElement(case, "skipped", message=_xml_text(f"suppressed: {reason}"))
    if tests == 0:
        tests = 1
        etree.SubElement(suite, "testcase", classname=JUNIT_SUITE, name="no findings")
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    data: bytes = etree.tostring(suite, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    return data.decode("utf-8")


