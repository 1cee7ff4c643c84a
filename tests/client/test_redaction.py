"""A server that echoes a secret back does not get it into an exception or a log.

A real registry and token service on 127.0.0.1 repeat what they received (the `Authorization`
header, or the form a refresh token was posted in) in their error body, their reason phrase and
their `X-Request-Id`. The exception raised (its message, error entries and request id), every
log record at DEBUG and the responses recorded by `capture_responses()` hold none of the secrets
in play: the password, its Basic form (base64 of
`user:password`), an identity token, a bearer token. `Registry` and `AsyncRegistry` (aiohttp's
direct path).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import urllib.parse
from typing import Any

import pytest

from harborsec import AsyncRegistry, Registry, RetryPolicy, capture_responses
from harborsec.errors import APIError
from harborsec.oci import Credentials
from tests._hostile import Request, hostile_server
from tests.client._both import call, close

USER, PASSWORD = "robot$ci", "Pa55-w0rd+/="
IDENTITY_TOKEN = "refresh-7f3a9c1e5b"
BEARER = "bearer-e4d2b8a6c0"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def _echoing(echo_at: str) -> Any:
    """A registry and token service; `echo_at` ("token" or "registry") answers with an echo."""

    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        auth = request.headers.get("authorization", "")
        if request.path.startswith("/token"):
            if echo_at == "token":
                echoed = f"{auth} {urllib.parse.unquote_plus(request.body.decode())}".strip()
                await _echo(writer, echoed)
            else:
                await _send(writer, "200 OK", {}, json.dumps({"token": BEARER}).encode())
        elif auth.startswith("Bearer "):
            await _echo(writer, auth)
        else:
            realm = f"http://{request.headers['host']}/token"
            challenge = f'Bearer realm="{realm}",service="reg",scope="repository:team/app:pull"'
            await _send(writer, "401 Unauthorized", {"WWW-Authenticate": challenge}, b"")

    return answer


async def _echo(writer: asyncio.StreamWriter, echoed: str) -> None:
    body = {"errors": [{"code": f"DENIED {echoed}", "message": f"you sent {echoed}"}]}
    # One line for the reason phrase and the header: the body's form may hold none.
    line = echoed.replace("\r", " ").replace("\n", " ")
    headers = {"X-Request-Id": line, "Content-Type": "application/json"}
    await _send(writer, f"401 Echo {line}", headers, json.dumps(body).encode())


async def _send(
    writer: asyncio.StreamWriter, status: str, headers: dict[str, str], body: bytes
) -> None:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()


def _secrets_in(text: str) -> list[str]:
    secrets = [PASSWORD, BASIC, IDENTITY_TOKEN, BEARER]
    forms = {s for secret in secrets for s in (secret, urllib.parse.quote_plus(secret))}
    return [secret for secret in forms if secret in text]


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    ("echo_at", "credentials"),
    [
        ("token", Credentials(USER, PASSWORD)),  # the Basic header, sent for a token
        ("token", Credentials("<token>", IDENTITY_TOKEN)),  # an identity token, in a form
        ("registry", Credentials(USER, PASSWORD)),  # the bearer token, sent to the registry
    ],
)
async def test_an_echoed_secret_reaches_no_exception_and_no_log(
    kind: str, echo_at: str, credentials: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with hostile_server(_echoing(echo_at)) as server:
        cls = Registry if kind == "sync" else AsyncRegistry
        client = cls(server.url, auth=credentials, retries=RetryPolicy(retries=0))
        try:
            with capture_responses() as captured, pytest.raises(APIError) as caught:
                await call(client.list_tags("team/app"))
        finally:
            await close(client)
    error = caught.value
    assert error.status_code == 401
    assert "[redacted]" in str(error)  # the echo was there, and was redacted
    shown = " ".join([str(error), repr(error), repr(error.errors), str(error.request_id)])
    assert _secrets_in(shown) == []
    assert _secrets_in(caplog.text) == []
    assert _secrets_in(repr(captured)) == []  # the raw responses' headers and request ids
    # the server did receive what it echoed: the test is not vacuous
    received = " ".join(f"{r.headers.get('authorization')} {r.body!r}" for r in server.seen)
    assert _secrets_in(urllib.parse.unquote_plus(received))
