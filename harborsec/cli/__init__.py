"""The `harborsec` command line.

Exit codes: 0 success, 1 failure (an error, or a check that failed), 2 usage error, 141 when
the output's reader goes away early (`harborsec projects | head -1`).

Example:
    $ harborsec digest 127.0.0.1:5000/library/app:1 --insecure
    sha256:...
"""

from harborsec.cli._main import main

__all__ = ["main"]
