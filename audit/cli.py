"""One command: ``manuscript-audit build | audit | refresh`` (``python -m audit`` alike).

    manuscript-audit build [html|pdf|jats|docx ...]   the journal outputs, into output/
    manuscript-audit audit [FILE ...]                 the citation audit, offline
    manuscript-audit refresh [FILE ...]               the audit, fetching what the lock lacks
    manuscript-audit preview                          the HTML served, rebuilt as you write

With no command, the arguments are the audit's (``python -m audit paper.md``). With no
file, the audit reads the project's manuscript (``[tool.manuscript-audit]``) and checks
the built HTML and JATS too when they are there.

Exit status: 0 when no finding is at or above ``--fail-on`` (the build: when it
succeeded), 1 otherwise, 2 for unusable input (one line naming the file and line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audit import __version__, report
from audit.config import Config
from audit.errors import InputError
from audit.model import Finding, Severity

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
COMMANDS = ("build", "audit", "refresh", "preview")


# --- build --------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    from audit.build import TARGETS

    p = argparse.ArgumentParser(
        prog="manuscript-audit build",
        description="Build the manuscript into HTML, PDF, JATS and DOCX (into output/), "
                    "with output/manifest.json.")
    p.add_argument("targets", nargs="*", metavar="TARGET",
                   help=f"outputs to build: {', '.join(TARGETS)} (default: all)")
    p.add_argument("--style", help="CSL style id or path to a .csl file")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: here)")
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    return p


def run_build(argv: list[str]) -> int:
    from audit.build import TARGETS, BuildError, build

    parser = build_parser()
    args = parser.parse_args(argv)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown output {unknown[0]!r} (choose from {', '.join(TARGETS)})")
    try:
        config = Config.load(args.root.resolve())
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if args.style:
        config.style = args.style
    try:
        build(config, tuple(args.targets) or TARGETS, log=lambda msg: print(msg, file=sys.stderr),
              force=args.force)
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        print("previous outputs in output/ were left as they were", file=sys.stderr)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        print("interrupted; previous outputs in output/ were left as they were", file=sys.stderr)
        return 130
    return EXIT_OK


# --- preview --------------------------------------------------------------------------

def run_preview(argv: list[str]) -> int:
    from audit.preview import Preview

    p = argparse.ArgumentParser(
        prog="manuscript-audit preview",
        description="Serve the HTML on 127.0.0.1, rebuild it when the manuscript changes, "
                    "reload the open page and show the offline audit's findings.")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free one)")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: here)")
    args = p.parse_args(argv)
    try:
        config = Config.load(args.root.resolve())
        Preview(config, log=lambda msg: print(msg, file=sys.stderr, flush=True)).serve(port=args.port)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:  # the port is taken, most likely
        print(f"error: cannot serve on 127.0.0.1:{args.port} ({exc.strerror or exc})",
              file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return EXIT_OK


# --- audit ----------------------------------------------------------------------------

def audit_parser(prog: str = "manuscript-audit audit") -> argparse.ArgumentParser:
    from audit import lock, suppressions

    p = argparse.ArgumentParser(
        prog=prog,
        description="Audit a manuscript's citations against its bibliography and the DOI registrar.",
        epilog="Other commands: manuscript-audit build | audit | refresh (see --help of each).")
    p.add_argument("files", nargs="*", type=Path,
                   help="the manuscript: Markdown, Word (.docx), LaTeX (.tex) or JATS XML (default: the "
                        "project's manuscript)")
    p.add_argument("--bibliography", action="append", type=Path, metavar="FILE",
                   help="bibliography (CSL JSON/YAML, BibTeX, BibLaTeX); default: the front matter's")
    p.add_argument("--reference-text", type=Path, metavar="FILE",
                   help="a numbered plain-text reference list (Vancouver/NLM) to audit")
    p.add_argument("--tags", type=Path, metavar="FILE",
                   help="Manubot citation tags (TSV: tag, citation)")
    p.add_argument("--lock", type=Path, metavar="PATH",
                   help=f"metadata lock (default: {lock.DEFAULT_NAME} beside the first input)")
    p.add_argument("--refresh", action="store_true",
                   help="fetch missing or stale records from the registrar and lock them")
    p.add_argument("--max-age", type=int, default=365, metavar="DAYS",
                   help="with --refresh, refetch records older than this (default 365), and ask "
                        "again about identifiers locked as not found")
    p.add_argument("--recheck-missing", action="store_true",
                   help="with --refresh, ask again at once about every DOI, PMID, PMCID and arXiv "
                        "identifier the lock says its source does not know")
    p.add_argument("--crossref-url", help="Crossref REST API base (env AUDIT_CROSSREF_URL)")
    p.add_argument("--doi-url", help="doi.org base for content negotiation (env AUDIT_DOI_URL)")
    p.add_argument("--pubmed-url", help="NCBI E-utilities base for PubMed (env AUDIT_PUBMED_URL)")
    p.add_argument("--pmc-url", help="NCBI's PMC ID Converter (env AUDIT_PMC_URL)")
    p.add_argument("--arxiv-url", help="arXiv's export API base (env AUDIT_ARXIV_URL)")
    p.add_argument("--mailto", help="contact e-mail for the registrar's polite pool (env AUDIT_MAILTO)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    p.add_argument("--max-concurrency", type=int, metavar="N",
                   help="requests in flight to one host at most (default 3; fewer when the host "
                        "advertises fewer, one fewer after each 429) (env AUDIT_MAX_CONCURRENCY)")
    p.add_argument("--format", choices=report.FORMATS, default="table", help="report format")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the report here")
    p.add_argument("--fail-on", choices=[s.value for s in Severity] + ["never"], default="error",
                   help="lowest severity that makes the exit status 1 (default: error)")
    p.add_argument("--strict", action="store_true",
                   help="a reference without identifiers that the registrars' searches do not "
                        "find (reference-not-found) is an error, not a warning")
    p.add_argument("--suppressions", type=Path, metavar="FILE",
                   help=f"accepted findings (default: {suppressions.DEFAULT_FILENAME} beside the input)")
    p.add_argument("--style", help="CSL style for the side-by-side view (default: the project's)")
    p.add_argument("--html", type=Path, metavar="FILE", help="check citation links in built HTML")
    p.add_argument("--jats", type=Path, metavar="FILE", help="check citation links in built JATS")
    p.add_argument("--version", action="version", version=f"manuscript-audit {__version__}")
    return p


def _project_inputs(args: argparse.Namespace, config: Config) -> None:
    """No file named: the project's configured manuscript, and its built outputs if any."""
    if args.files or args.reference_text or not config.configured:
        return
    args.files = [config.manuscript]
    from audit.build.formats import filename

    for option, name in (("html", "html"), ("jats", "jats")):
        built = config.output / filename(name)
        if getattr(args, option) is None and built.is_file():
            setattr(args, option, built)


def run_audit(argv: list[str], *, refresh: bool = False, prog: str = "manuscript-audit audit") -> int:
    from audit.pipeline import Options, audit
    from audit.sources import Settings

    args = audit_parser(prog).parse_args(argv)
    if args.recheck_missing and not (args.refresh or refresh):
        print("error: --recheck-missing asks the sources again: use it with --refresh "
              "(or manuscript-audit refresh)", file=sys.stderr)
        return EXIT_INPUT
    try:
        config = Config.load(Path.cwd())
        _project_inputs(args, config)
        options = Options(
            files=args.files, bibliography=args.bibliography, reference_text=args.reference_text,
            tags=args.tags, lock=args.lock, refresh=args.refresh or refresh, max_age=args.max_age,
            recheck_missing=args.recheck_missing,
            settings=Settings.from_env(crossref_url=args.crossref_url, doi_url=args.doi_url,
                                       pubmed_url=args.pubmed_url, pmc_url=args.pmc_url,
                                       arxiv_url=args.arxiv_url, mailto=args.mailto,
                                       timeout=args.timeout, max_concurrency=args.max_concurrency),
            suppressions=args.suppressions, style=args.style, project_style=config.style,
            html=args.html, jats=args.jats, fail_on=args.fail_on, strict=args.strict)
        result = audit(options)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted; the metadata lock keeps every record fetched so far", file=sys.stderr)
        return 130
    text = report.render(result.findings, args.format, context=result.context,
                         color=args.output is None and sys.stdout.isatty())
    text = text if text.endswith("\n") else text + "\n"
    if args.output:
        from audit.files import write_atomic

        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return exit_code(result.findings, args.fail_on)


def exit_code(findings: list[Finding], fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_OK
    threshold = Severity(fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in findings) else EXIT_OK


# --- the command ----------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """``manuscript-audit COMMAND ...``; with no command, the audit."""
    args = sys.argv[1:] if argv is None else list(argv)
    command = args[0] if args and args[0] in COMMANDS else None
    if command == "build":
        return run_build(args[1:])
    if command == "preview":
        return run_preview(args[1:])
    if command == "refresh":
        return run_audit(args[1:], refresh=True, prog="manuscript-audit refresh")
    if command == "audit":
        return run_audit(args[1:])
    return run_audit(args, prog="manuscript-audit")
