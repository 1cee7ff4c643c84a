"""`python -m harborsec`."""

import sys

from harborsec.cli import main

sys.exit(main())
