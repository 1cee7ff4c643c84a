"""The two runners: the only hand-written twins (as httpcore's backends are).

`Connection` owns an `httpx.Client`, `AsyncConnection` an `httpx.AsyncClient` (and, with the
`harborsec[aiohttp]` extra, the direct aiohttp path of `AsyncRegistry.resolve`). Each runs
operations with its driver and is closed once; a closed runner raises `ClientClosedError`.
Everything above them (the facades) is written once, in `_facades/_async/`.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import httpx

from harborsec._core._deadline import call_deadline
from harborsec._core._driver import Op, run_async, run_sync
from harborsec._core._http import NOT_GIVEN
from harborsec._core._limits import aread_body, cut_body_hook, cut_body_hook_async
from harborsec._core._runner import TimeoutArg
from harborsec._core._socket_deadline import bound_sockets
from harborsec._facades._settings import ClientSettings
from harborsec.errors import ClientClosedError

if TYPE_CHECKING:
    import ssl

    from harborsec._core._aiohttp import AiohttpTransport

__all__ = ["AsyncConnection", "Connection"]

T = TypeVar("T")


def _closed(kind: str) -> ClientClosedError:
    return ClientClosedError(
        f"this {kind} is closed: create a new client, or make the calls inside its "
        f"`{'async with' if kind.startswith('Async') else 'with'}` block"
    )


class Connection:
    """Runs operations with an `httpx.Client` (synchronous): the runner of `Registry`."""

    def __init__(
        self,
        settings: ClientSettings,
        transport: httpx.BaseTransport | None,
        max_connections: int,
    ) -> None:
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise TypeError("Registry needs a synchronous transport (httpx.BaseTransport)")
        self.settings = settings
        self.url = settings.url
        self._policy = settings.policy
        self._deadline = settings.deadline
        self._closed = False
        self._client = httpx.Client(
            transport=transport,
            event_hooks={"response": [cut_body_hook]},
            **settings.client_options(max_connections),
        )
        bound_sockets(self._client)  # a deadline also bounds a response head dripped slowly

    def run(self, op: Op[T], timeout: TimeoutArg = NOT_GIVEN) -> T:
        """Run an operation.

        Raises:
            ClientClosedError: The client was closed.
        """
        if self._closed:
            op.close()
            raise _closed("Registry")
        deadline = call_deadline(self._deadline)
        return run_sync(self._client, op, policy=self._policy, timeout=timeout, deadline=deadline)

    def close(self) -> None:
        """Close the connections; later calls raise `ClientClosedError`."""
        self._closed = True
        self._client.close()


class AsyncConnection:
    """Runs operations with an `httpx.AsyncClient`: the runner of `AsyncRegistry`.

    When the `harborsec[aiohttp]` extra is installed and no transport is given, requests go
    through aiohttp (`httpx-aiohttp`), and GET and HEAD requests take a direct path that skips
    httpx's client layer.
    """

    def __init__(
        self,
        settings: ClientSettings,
        transport: httpx.AsyncBaseTransport | None,
        max_connections: int,
    ) -> None:
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError(
                "AsyncRegistry needs an asynchronous transport (httpx.AsyncBaseTransport)"
            )
        self.settings = settings
        self.url = settings.url
        self._policy = settings.policy
        self._deadline = settings.deadline
        self._auth = settings.auth
        self._closed = False
        # The default aiohttp transport can also hand back a response whole: the direct path
        # uses that, and skips httpx's response streaming.
        self._fetch: Callable[[httpx.Request], Awaitable[httpx.Response]] | None = None
        if transport is None:
            transport = _aiohttp_transport(settings.verify, max_connections)
            if transport is not None:
                self._fetch = transport.fetch
        if transport is None:
            limits = httpx.Limits(max_connections=max_connections)
            transport = httpx.AsyncHTTPTransport(verify=settings.verify, limits=limits)
        self._transport: httpx.AsyncBaseTransport = transport
        # The direct path skips httpx's client layer (about half of the client's CPU time per
        # request). Environment proxies are mounted by that layer, so with them it is not used.
        self._direct = not urllib.request.getproxies()
        self._client = httpx.AsyncClient(
            transport=transport,
            event_hooks={"response": [cut_body_hook_async]},
            **settings.client_options(max_connections),
        )

    async def _send(self, request: httpx.Request, stream: bool) -> httpx.Response:
        """Send a GET or HEAD straight to the transport, with the auth flow but nothing else.

        Everything else (bodies, streams, redirects, proxies) goes through the httpx client.
        """
        if stream or not self._direct or request.method not in ("GET", "HEAD"):
            return await self._client.send(request, stream=True)  # the driver reads it
        request.extensions.setdefault("timeout", self._client.timeout.as_dict())
        fetch = self._fetch
        flow = self._auth.async_auth_flow(request)
        sent = await flow.__anext__()
        while True:
            if fetch is not None and sent.method in ("GET", "HEAD"):
                response = await fetch(sent)  # not a token POST (an identity token's form)
            else:
                response = await self._transport.handle_async_request(sent)
                response.request = sent
            if response.is_redirect:
                await response.aclose()
                await flow.aclose()
                return await self._client.send(request, stream=True)
            try:
                following = await flow.asend(response)
            except StopAsyncIteration:
                await aread_body(response)
                return response
            except BaseException:
                # the flow refused to go on (CredentialsError...): give the connection back
                await response.aclose()
                raise
            await aread_body(response)
            sent = following

    async def run(self, op: Op[T], timeout: TimeoutArg = NOT_GIVEN) -> T:
        """Run an operation.

        Raises:
            ClientClosedError: The client was closed.
        """
        if self._closed:
            op.close()
            raise _closed("AsyncRegistry")
        return await run_async(
            self._client,
            op,
            policy=self._policy,
            timeout=timeout,
            send=self._send,
            deadline=call_deadline(self._deadline),
        )

    async def aclose(self) -> None:
        """Close the connections; later calls raise `ClientClosedError`."""
        self._closed = True
        await self._client.aclose()


def _aiohttp_transport(
    verify: ssl.SSLContext | bool, max_connections: int
) -> AiohttpTransport | None:
    """The aiohttp transport when the `harborsec[aiohttp]` extra is installed, else None."""
    try:
        from harborsec._core._aiohttp import aiohttp_transport
    except ImportError:
        return None
    return aiohttp_transport(verify, max_connections)
