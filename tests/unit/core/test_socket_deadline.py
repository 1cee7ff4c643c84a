"""The synchronous client's sockets stop at the call's deadline (`_core/_socket_deadline.py`).

The end-to-end case (a server dripping its response head, `deadline=1`) is
`tests/client/test_limits.py::test_a_dripping_answer_does_not_outlast_the_deadline`; these
tests pin what it relies on, so that an httpx release that moves its internals fails here
instead of silently dropping the bound.
"""

from __future__ import annotations

import httpcore
import httpx
import pytest

from harborsec import Registry
from harborsec._core._socket_deadline import _bounded, bound_sockets, sending


def test_the_default_transport_of_a_client_is_reached():
    with httpx.Client() as client:
        assert bound_sockets(client)
        assert bound_sockets(client)  # wrapping twice keeps one wrapper
        backend = client._transport._pool._network_backend  # type: ignore[attr-defined]
        assert type(backend).__name__ == "_Backend"
        assert type(backend.inner).__name__ != "_Backend"


def test_a_registry_bounds_its_sockets():
    with Registry("https://harbor.test", auth=None) as registry:
        client = registry._runner._client
        assert type(client._transport._pool._network_backend).__name__ == "_Backend"


def test_a_transport_of_the_callers_is_left_alone():
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        assert not bound_sockets(client)


def test_timeouts_shrink_to_the_time_left_and_fail_once_it_is_gone():
    now = [100.0]
    assert _bounded(5.0, httpcore.ReadTimeout) == 5.0  # no deadline: as httpcore asked
    with sending(102.0, lambda: now[0]):
        assert _bounded(5.0, httpcore.ReadTimeout) == 2.0
        assert _bounded(None, httpcore.ReadTimeout) == 2.0
        assert _bounded(1.0, httpcore.ReadTimeout) == 1.0
        now[0] = 102.0
        with pytest.raises(httpcore.ReadTimeout):
            _bounded(5.0, httpcore.ReadTimeout)
    assert _bounded(5.0, httpcore.ReadTimeout) == 5.0
    with sending(None, lambda: now[0]):
        assert _bounded(5.0, httpcore.ReadTimeout) == 5.0
