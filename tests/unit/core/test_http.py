import base64
import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import harborsec
from harborsec._core._http import (
    NoCookies,
    new_request_id,
    raise_for_status,
    safe_url,
    transport_error,
    with_path,
)


def reply(status: int, body: object = None, **headers: str) -> httpx.Response:
    content = json.dumps(body).encode() if body is not None else b""
    request = httpx.Request("DELETE", "https://admin:secret@harbor.test/api/v2.0/projects/p")
    return httpx.Response(status, content=content, headers=headers, request=request)


def harbor_error(code: str, message: str) -> dict:
    return {"errors": [{"code": code, "message": message}]}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, harborsec.BadRequestError),
        (401, harborsec.UnauthorizedError),
        (403, harborsec.ForbiddenError),
        (404, harborsec.NotFoundError),
        (405, harborsec.MethodNotAllowedError),
        (409, harborsec.ConflictError),
        (412, harborsec.PreconditionFailedError),
        (422, harborsec.UnprocessableEntityError),
        (429, harborsec.RateLimitError),
        (500, harborsec.ServerError),
        (503, harborsec.ServerError),
        (418, harborsec.APIError),
    ],
)
def test_statuses_map_to_one_class_each(status, cls):
    with pytest.raises(cls) as info:
        raise_for_status(reply(status, harbor_error("X", "boom")))
    assert type(info.value) is cls
    assert info.value.status_code == status
    assert isinstance(info.value, harborsec.HarborsecError)


def test_success_and_redirect_statuses_do_not_raise():
    for status in (200, 201, 202, 204, 307):
        raise_for_status(reply(status))


def test_policy_violation_is_its_own_class():
    body = harbor_error("PROJECTPOLICYVIOLATION", "The image is not signed by cosign.")
    with pytest.raises(harborsec.PolicyViolationError) as info:
        raise_for_status(reply(412, body))
    assert isinstance(info.value, harborsec.PreconditionFailedError)
    assert info.value.code == "PROJECTPOLICYVIOLATION"
    assert "not signed by cosign" in str(info.value)


def test_every_error_entry_is_kept_and_the_request_id_too():
    body = {"errors": [{"code": "A", "message": "first"}, {"code": "B", "message": "second"}]}
    with pytest.raises(harborsec.ConflictError) as info:
        raise_for_status(reply(409, body, **{"X-Request-Id": "req-42"}))
    error = info.value
    assert [e.code for e in error.errors] == ["A", "B"]
    assert error.request_id == "req-42"
    assert "first" in str(error) and "second" in str(error) and "req-42" in str(error)


def test_messages_never_carry_credentials():
    with pytest.raises(harborsec.APIError) as info:
        raise_for_status(reply(500, harbor_error("UNKNOWN", "internal server error")))
    assert "secret" not in str(info.value)
    assert "secret" not in info.value.url
    assert info.value.method == "DELETE"


def test_a_body_that_is_not_json_still_gives_a_typed_error():
    request = httpx.Request("GET", "https://r.test/v2/")
    response = httpx.Response(502, content=b"<html>bad gateway</html>", request=request)
    with pytest.raises(harborsec.ServerError) as info:
        raise_for_status(response)
    assert info.value.errors == ()
    assert "502" in str(info.value)


def test_rate_limit_keeps_retry_after():
    with pytest.raises(harborsec.RateLimitError) as info:
        raise_for_status(
            reply(429, harbor_error("TOO_MANY_REQUEST", "slow down"), **{"Retry-After": "12"})
        )
    assert info.value.retry_after == 12.0


def test_transport_errors_hide_credentials():
    request = httpx.Request("GET", "https://robot$x:hunter2@harbor.test/v2/")
    error = transport_error(httpx.ConnectTimeout("timed out"), request)
    assert isinstance(error, harborsec.RequestTimeoutError)
    assert "hunter2" not in str(error) and "hunter2" not in error.url


def test_transport_errors_redact_an_echoed_credential():
    # aiohttp quotes the start of a header line it refuses: a server may have put the secret there
    basic = base64.b64encode(b"robot$x:hunter2").decode()
    request = httpx.Request(
        "GET", "https://harbor.test/v2/", headers={"Authorization": f"Basic {basic}"}
    )
    echoed = f"Got more than 102400 bytes when reading: b'X-Echo: Basic {basic} hunter2...'"
    error = transport_error(httpx.RemoteProtocolError(echoed), request)
    assert "hunter2" not in str(error) and basic not in str(error)
    assert "Got more than 102400 bytes" in str(error)


def test_an_error_body_echoing_the_credential_is_redacted():
    basic = base64.b64encode(b"robot$x:hunter2").decode()
    request = httpx.Request(
        "GET", "https://harbor.test/v2/", headers={"Authorization": f"Basic {basic}"}
    )
    body = {"errors": [{"code": "DENIED", "message": f"bad Basic {basic} (hunter2)"}]}
    headers = {"X-Request-Id": f"id-{basic}"}
    response = httpx.Response(401, json=body, headers=headers, request=request)
    with pytest.raises(harborsec.UnauthorizedError) as info:
        raise_for_status(response)
    shown = f"{info.value} {info.value.errors!r} {info.value.request_id}"
    assert "hunter2" not in shown and basic not in shown
    assert info.value.errors[0].message == "bad Basic [redacted] ([redacted])"


def test_safe_url_drops_userinfo():
    assert safe_url("https://u:p@h.test/x?y=1") == "https://h.test/x?y=1"


def test_request_ids_are_unique():
    assert len({new_request_id() for _ in range(100)}) == 100


def test_the_cookie_jar_never_sends_harbors_session_cookie_back():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Cookie"))
        return httpx.Response(200, headers={"Set-Cookie": "sid=abc; Path=/; HttpOnly"})

    with httpx.Client(transport=httpx.MockTransport(handler), cookies=NoCookies()) as client:
        client.get("https://harbor.test/api/v2.0/ping")
        client.post("https://harbor.test/api/v2.0/projects")
    assert seen == [None, None]


_BASES = st.sampled_from(
    [
        "http://127.0.0.1:5000",
        "https://harbor.example.com",
        "https://harbor.example.com:443/",
        "https://Harbor.Example.COM:8443/prefix/",
        "http://[::1]:5000/",
        "https://user:secret@h.test/x?query=1#fragment",
        "https://xn--bcher-kva.example/",
    ]
)
_PATH_CHARS = st.sampled_from([*"abcXYZ019._~:@-/%?# é!$&'()*+,;=[]{}`\"<>\\^|", "%2F", "%zz"])


def _assert_same_as_copy_with(url: httpx.URL, path: str) -> None:
    try:
        expected = url.copy_with(path=path, query=None, fragment=None)
    except httpx.InvalidURL:
        with pytest.raises(httpx.InvalidURL):
            with_path(url, path)
        return
    got = with_path(url, path)
    assert got == expected
    assert str(got) == str(expected)
    assert (got.raw_path, got.host, got.port, got.userinfo) == (
        expected.raw_path,
        expected.host,
        expected.port,
        expected.userinfo,
    )


@given(base=_BASES, path=st.lists(_PATH_CHARS, max_size=30).map(lambda p: "/" + "".join(p)))
def test_with_path_is_copy_with_only_faster(base: str, path: str) -> None:
    _assert_same_as_copy_with(httpx.URL(base), path)


@pytest.mark.parametrize(
    "path",
    ["/v2/library/ubuntu/manifests/24.04", "/v2/a/b/blobs/sha256:" + "0" * 64, "/api/v2.0/x%252Fy"],
)
def test_with_path_takes_the_fast_path_for_registry_paths(path: str) -> None:
    # The fast path builds no new parse; copy_with would (this is what the speed-up is).
    base = httpx.URL("https://harbor.example.com")
    got = with_path(base, path)
    assert got._uri_reference.host is base._uri_reference.host
    assert got == base.copy_with(path=path, query=None, fragment=None)


@pytest.mark.parametrize("path", ["/v2/./x", "/v2/../x", "/v2/a b", "/v2/x?y", "", "v2/x"])
def test_with_path_leaves_other_paths_to_httpx(path: str) -> None:
    _assert_same_as_copy_with(httpx.URL("https://harbor.example.com/"), path)
