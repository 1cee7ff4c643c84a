"""A Harbor emulator for tests: the OCI registry, the token service and Harbor's API.

`HarborEmulator` answers like a Harbor instance (built to Harbor's OpenAPI spec and to how its
code behaves), in process through an httpx transport or on a real socket::

    >>> import httpx
    >>> from harborsec.testing import HarborEmulator
    >>> harbor = HarborEmulator()
    >>> with httpx.Client(transport=harbor.transport(), base_url="http://harbor.test") as client:
    ...     info = client.get("/api/v2.0/systeminfo", auth=("admin", "Harbor12345")).json()
    >>> info["harbor_version"]
    'v2.14.4-79a297f7'
    >>> with harbor.serve() as url:
    ...     httpx.get(f"{url}/api/v2.0/ping").text
    'Pong'

Besides the registry and the token service, it answers Harbor's API for projects (paging,
`q`, visibility, metadata, CVE allowlists), the system CVE allowlist, immutable tag rules (and
enforces them on pushes), scanners and project scanners, and scan-all schedules and metrics,
quirks included. `HarborEmulator(trivy=True)` starts with Harbor's built-in Trivy scanner;
scan-all runs stay ongoing until `finish_scan_all()`.

`FaultProxy` sits in front of the emulator (or any registry) and injects faults at the rates of
`Faults`: 5xx and 429 answers, connection resets before and after a request is forwarded,
truncated bodies, slow answers and expired tokens, from a seeded random generator, counting
each. `HarborEmulator.expire_tokens()` makes every token issued so far invalid, and
`HarborEmulator.requests` records each request's `X-Request-Id`, so that a test can count the
writes applied per call.

The emulator is the server side: it does not use the harborsec client.
"""

from __future__ import annotations

from harborsec.testing._emulator import HarborEmulator, RecordedRequest
from harborsec.testing._faults import FaultProxy, Faults

__all__ = ["FaultProxy", "Faults", "HarborEmulator", "RecordedRequest"]
