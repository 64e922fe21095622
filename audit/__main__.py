"""``python -m audit``: see :mod:`audit.cli`."""

import sys

from audit.cli import main

sys.exit(main())
