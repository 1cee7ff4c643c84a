"""`python -m harborsec.cli`."""

import sys

from harborsec.cli import main

sys.exit(main())
