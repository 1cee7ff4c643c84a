import base64

import httpx
import pytest

import harborsec
from harborsec.oci import Credentials, RegistryAuth, parse_www_authenticate
from harborsec.oci._auth import scope_for_request

REGISTRY = "https://registry.test"
REALM = "https://auth.test/token"
CREDS = Credentials(username="robot$ci", password="s3cret")


class TokenRegistry:
    """A registry with Distribution's token auth: Bearer challenges, scoped tokens."""

    def __init__(self, *, expired_answer: str = "bearer"):
        self.log: list[httpx.Request] = []
        self.valid_tokens: dict[str, str] = {}
        self.issued = 0
        self.expired_answer = expired_answer

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        if request.url.host == "auth.test":
            self.issued += 1
            scope = " ".join(request.url.params.get_list("scope"))
            token = f"token-{self.issued}"
            self.valid_tokens[token] = scope
            return httpx.Response(200, json={"token": token, "expires_in": 300})
        scope = scope_for_request(request.method, request.url.path)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and self.valid_tokens.get(auth[7:], "").startswith(
            scope.rsplit(":", 1)[0]
        ):
            return httpx.Response(200, headers={"Docker-Content-Digest": "sha256:" + "a" * 64})
        if auth and self.expired_answer == "basic":
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="harbor"'})
        challenge = f'Bearer realm="{REALM}",service="registry.test",scope="{scope}"'
        return httpx.Response(401, headers={"WWW-Authenticate": challenge})


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client(registry: TokenRegistry, clock=None, creds=CREDS) -> httpx.Client:
    auth = RegistryAuth(httpx.URL(REGISTRY), creds, clock=clock or Clock())
    return httpx.Client(transport=httpx.MockTransport(registry.handler), auth=auth)


def head(c: httpx.Client, repo: str = "library/app") -> httpx.Response:
    return c.head(f"{REGISTRY}/v2/{repo}/manifests/1.0")


def test_token_flow_then_one_request_per_call_once_cached():
    registry = TokenRegistry()
    with client(registry) as c:
        assert head(c).status_code == 200
        assert [r.url.host for r in registry.log] == ["registry.test", "auth.test", "registry.test"]
        token_request = registry.log[1]
        assert token_request.url.params["service"] == "registry.test"
        assert token_request.url.params["scope"] == "repository:library/app:pull"
        expected = base64.b64encode(b"robot$ci:s3cret").decode()
        assert token_request.headers["Authorization"] == f"Basic {expected}"
        registry.log.clear()
        for _ in range(5):
            assert head(c).status_code == 200
        assert len(registry.log) == 5  # exactly one request per call
        assert all(r.headers["Authorization"].startswith("Bearer ") for r in registry.log)


def test_tokens_are_cached_per_scope():
    registry = TokenRegistry()
    with client(registry) as c:
        head(c, "a/one")
        head(c, "b/two")
        head(c, "a/one")
        assert registry.issued == 2


def test_expired_tokens_are_fetched_again():
    registry, clock = TokenRegistry(), Clock()
    with client(registry, clock) as c:
        head(c)
        clock.now += 299
        head(c)
        assert registry.issued == 2


def test_harbor_style_basic_challenge_after_a_token_refetches_once():
    # Harbor answers an expired token with `Basic realm="harbor"`, not with a new Bearer challenge.
    registry = TokenRegistry(expired_answer="basic")
    with client(registry) as c:
        head(c)  # learns the realm
        registry.valid_tokens.clear()  # the server forgets every token
        registry.log.clear()
        assert head(c).status_code == 200
        assert [r.url.host for r in registry.log] == ["registry.test", "auth.test", "registry.test"]


def test_basic_registries_get_basic_credentials_and_it_is_remembered():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization", "").startswith("Basic "):
            return httpx.Response(200)
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="Registry Realm"'})

    auth = RegistryAuth(httpx.URL(REGISTRY), CREDS)
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as c:
        assert head(c).status_code == 200
        assert head(c).status_code == 200
    assert seen[0] is None and seen[1].startswith("Basic ") and seen[2].startswith("Basic ")
    assert len(seen) == 3


def test_anonymous_clients_get_anonymous_tokens():
    registry = TokenRegistry()
    with client(registry, creds=None) as c:
        assert head(c).status_code == 200
    assert "Authorization" not in registry.log[1].headers


def test_harbor_api_gets_basic_credentials_directly():
    seen = []

    def handler(request):
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200, json={})

    with httpx.Client(
        transport=httpx.MockTransport(handler), auth=RegistryAuth(REGISTRY, CREDS)
    ) as c:
        c.get(f"{REGISTRY}/api/v2.0/users/current/permissions")
    assert seen[0].startswith("Basic ")


def test_credentials_never_go_to_another_origin():
    seen = []

    def handler(request):
        seen.append((request.url.host, request.headers.get("Authorization")))
        return httpx.Response(200)

    with httpx.Client(
        transport=httpx.MockTransport(handler), auth=RegistryAuth(REGISTRY, CREDS)
    ) as c:
        c.get("https://elsewhere.test/api/v2.0/ping")
        c.get("http://registry.test/api/v2.0/ping")  # same host, other scheme: another origin
    assert seen == [("elsewhere.test", None), ("registry.test", None)]


def test_authorization_is_dropped_on_a_redirect_to_storage():
    seen = []

    def handler(request):
        seen.append((request.url.host, request.headers.get("Authorization")))
        if request.url.host == "registry.test":
            return httpx.Response(307, headers={"Location": "https://s3.test/blob?sig=1"})
        return httpx.Response(200, content=b"blob")

    auth = RegistryAuth(REGISTRY, CREDS)
    with httpx.Client(
        transport=httpx.MockTransport(handler), auth=auth, follow_redirects=True
    ) as c:
        c.get(f"{REGISTRY}/api/v2.0/something")
    assert seen[0][1] is not None
    assert seen[1] == ("s3.test", None)


def test_credentials_are_not_sent_to_a_plain_http_realm_of_an_https_registry():
    def handler(request):
        challenge = 'Bearer realm="http://auth.test/token",service="s"'
        return httpx.Response(401, headers={"WWW-Authenticate": challenge})

    with httpx.Client(
        transport=httpx.MockTransport(handler), auth=RegistryAuth(REGISTRY, CREDS)
    ) as c:
        with pytest.raises(harborsec.CredentialsError, match="plain HTTP"):
            head(c)


def test_token_service_errors_are_typed():
    def handler(request):
        if request.url.host == "auth.test":
            return httpx.Response(
                400,
                json={"errors": [{"code": "BAD_REQUEST", "message": "Unable to handle service"}]},
            )
        return httpx.Response(
            401, headers={"WWW-Authenticate": f'Bearer realm="{REALM}",service="x"'}
        )

    with httpx.Client(
        transport=httpx.MockTransport(handler), auth=RegistryAuth(REGISTRY, CREDS)
    ) as c:
        with pytest.raises(harborsec.BadRequestError, match="Unable to handle service"):
            head(c)


def test_token_response_without_token_is_malformed():
    def handler(request):
        if request.url.host == "auth.test":
            return httpx.Response(200, json={"access_token": ""})
        return httpx.Response(401, headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'})

    with httpx.Client(
        transport=httpx.MockTransport(handler), auth=RegistryAuth(REGISTRY, None)
    ) as c:
        with pytest.raises(harborsec.MalformedResponseError):
            head(c)


def test_repr_never_shows_the_password():
    auth = RegistryAuth(REGISTRY, CREDS)
    assert "s3cret" not in repr(auth)
    assert "s3cret" not in repr(CREDS)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            'Bearer realm="https://h/service/token",service="harbor-registry",scope="repository:p/r:pull,push"',
            [
                (
                    "bearer",
                    {
                        "realm": "https://h/service/token",
                        "service": "harbor-registry",
                        "scope": "repository:p/r:pull,push",
                    },
                )
            ],
        ),
        ('Basic realm="harbor"', [("basic", {"realm": "harbor"})]),
        (
            'Bearer realm="a\\"b",error="invalid_token"',
            [("bearer", {"realm": 'a"b', "error": "invalid_token"})],
        ),
        (
            'Bearer realm="r",scope="repository:a:pull repository:b:pull", Basic realm="x"',
            [
                ("bearer", {"realm": "r", "scope": "repository:a:pull repository:b:pull"}),
                ("basic", {"realm": "x"}),
            ],
        ),
        ("Negotiate", [("negotiate", {})]),
        ("", []),
    ],
)
def test_parse_www_authenticate(header, expected):
    assert [(c.scheme, c.params) for c in parse_www_authenticate([header])] == expected


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("HEAD", "/v2/p/a/b/manifests/1.0", "repository:p/a/b:pull"),
        ("GET", "/v2/p/r/blobs/sha256:" + "0" * 64, "repository:p/r:pull"),
        ("POST", "/v2/p/r/blobs/uploads/", "repository:p/r:pull,push"),
        ("PATCH", "/v2/p/r/blobs/uploads/uuid-1", "repository:p/r:pull,push"),
        ("PUT", "/v2/p/r/manifests/1.0", "repository:p/r:pull,push"),
        ("DELETE", "/v2/p/r/manifests/sha256:" + "0" * 64, "repository:p/r:delete"),
        ("GET", "/v2/p/r/tags/list", "repository:p/r:pull"),
        ("GET", "/v2/p/r/referrers/sha256:" + "0" * 64, "repository:p/r:pull"),
        ("GET", "/v2/", None),
        ("GET", "/v2/_catalog", None),
    ],
)
def test_scope_for_request(method, path, scope):
    assert scope_for_request(method, path) == scope
