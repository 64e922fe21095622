"""``python -m audit`` (and the ``manuscript-audit`` command): see :mod:`audit.cli`."""

import os
import sys

from audit.cli import main


def run() -> None:
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Every file is written and closed and every thread stopped by now: skip the interpreter's
    # teardown (unloading typst, httpx, lxml, rich... takes 0.03-0.1 s).
    os._exit(status)


if __name__ == "__main__":
    run()
