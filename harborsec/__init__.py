"""harborsec: a typed SDK for software-supply-chain security on Harbor and any OCI registry."""

from harborsec._version import __version__
from harborsec.errors import *  # noqa: F403
