"""``python -m dashboard.store.demo [--check] [--out DIR]``: check or repair the demo files."""

import sys

from dashboard.store.demo.check import main

sys.exit(main())
