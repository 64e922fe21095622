"""``python -m audit``: see :mod:`audit.cli`."""

import os
import sys

from audit.cli import main

status = main()
sys.stdout.flush()
sys.stderr.flush()
# Every file is written and closed and every thread stopped by now: skip the interpreter's
# teardown (unloading httpx, lxml, rich... takes about 0.1 s).
os._exit(status)
