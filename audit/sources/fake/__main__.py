"""``python -m audit.sources.fake``: the fake registrar, by hand (see the package)."""

from audit.sources.fake.server import main

raise SystemExit(main())
