"""Reproducible manuscripts with audited citations.

The package reads as one pipeline, each module a stage::

    manuscript (Markdown) -> pandoc AST -> citations + bibliography
    -> registrar metadata (lock, then network) -> checks -> findings -> reports

``render`` builds the journal outputs; everything else serves the audit.
"""

__version__ = "0.1.0"
