"""`python -m westgear_desk.cli` runs the command line (used by tests and packaging)."""

import sys

from westgear_desk.cli import main

if __name__ == "__main__":  # not when a spawned process (the catalog check process) imports it
    sys.exit(main())
