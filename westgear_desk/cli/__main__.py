"""`python -m westgear_desk.cli` runs the command line (used by tests and packaging)."""

import sys

from westgear_desk.cli import main

sys.exit(main())
