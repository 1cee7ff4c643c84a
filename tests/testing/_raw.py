"""Raw HTTP/1.1 over a real socket: send exact bytes, read one answer back."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse
from typing import Any

import attrs


@attrs.frozen
class RawAnswer:
    """One answer read off the socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def exchange(
    url: str, data: bytes, *, timeout: float = 10.0, half_close: bool = False
) -> RawAnswer:
    """Send `data` to the server at `url` and read one answer.

    `half_close` ends the sending side after `data`, as a client that went away would.

    Raises:
        ConnectionError: The server closed the connection without answering.
    """
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        method = data.split(b" ", 1)[0].decode("latin-1")
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
        except http.client.RemoteDisconnected as error:
            raise ConnectionError("closed without an answer") from error
        body = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return RawAnswer(response.status, headers, body)


def assert_json_error(answer: RawAnswer, status: int | None = None) -> dict[str, Any]:
    """A 4xx answer with the `{"errors":[{"code","message"}]}` body; returns its first error."""
    if status is not None:
        assert answer.status == status, (answer.status, answer.body[:300])
    assert 400 <= answer.status < 500, (answer.status, answer.body[:300])
    assert answer.headers["content-type"].startswith("application/json"), answer.headers
    errors = answer.json()["errors"]
    assert isinstance(errors[0]["code"], str)
    assert isinstance(errors[0]["message"], str)
    return dict(errors[0])
