"""Harbor's registry auth in the emulator: challenges, the token service, tokens, permissions."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from harborsec.testing import HarborEmulator
from tests.testing._emu import (
    ADMIN,
    BASE_URL,
    OCI_MANIFEST,
    bearer,
    errors,
    get_token,
    push_blob,
    push_image,
    sha256,
)

REALM = f"{BASE_URL}/service/token"


def _b64url_json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _claims(token: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = _b64url_json(token["token"].split(".")[1])
    return claims


def _actions(token: dict[str, Any]) -> dict[str, list[str]]:
    return {entry["name"]: entry["actions"] for entry in _claims(token)["access"]}


@pytest.fixture
def setup(harbor: HarborEmulator, client: httpx.Client) -> HarborEmulator:
    """`private` (dev: developer, guest: guest) and `other` projects; one image in each."""
    harbor.create_project("private")
    harbor.create_project("other")
    harbor.add_user("dev", "dev-pw")
    harbor.add_user("guest", "guest-pw")
    harbor.add_user("outsider", "outsider-pw")
    harbor.add_member("private", "dev")
    harbor.add_member("private", "guest", push=False)
    for repository in ("library/app", "private/app", "other/app"):
        push_image(client, repository, "v1")
    return harbor


# -- challenges ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/v2/library/app/manifests/v1", "repository:library/app:pull"),
        ("HEAD", "/v2/library/app/manifests/v1", "repository:library/app:pull"),
        ("GET", "/v2/private/a/b/tags/list", "repository:private/a/b:pull"),
        ("PUT", "/v2/library/app/manifests/v2", "repository:library/app:pull,push"),
        ("POST", "/v2/library/app/blobs/uploads/", "repository:library/app:pull,push"),
        ("PATCH", "/v2/library/app/blobs/uploads/1", "repository:library/app:pull,push"),
        ("DELETE", f"/v2/library/app/manifests/{sha256(b'x')}", "repository:library/app:delete"),
        (
            "POST",
            f"/v2/library/app/blobs/uploads/?mount={sha256(b'x')}&from=other/app",
            "repository:library/app:pull,push repository:other/app:pull",
        ),
    ],
)
def test_no_authorization_gets_a_bearer_challenge(
    client: httpx.Client, method: str, path: str, scope: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 401
    assert response.headers["Www-Authenticate"] == (
        f'Bearer realm="{REALM}",service="harbor-registry",scope="{scope}"'
    )
    assert response.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    if method != "HEAD":
        assert errors(response) == ["UNAUTHORIZED"]


def test_base_endpoint_challenges(client: httpx.Client) -> None:
    anonymous = client.get("/v2/")
    assert anonymous.status_code == 401
    assert anonymous.headers["Www-Authenticate"] == (
        f'Bearer realm="{REALM}",service="harbor-registry"'
    )
    bad = client.get("/v2/", auth=("admin", "wrong"))
    assert bad.status_code == 401
    assert bad.headers["Www-Authenticate"] == 'Basic realm="harbor"'
    assert client.get("/v2/", auth=ADMIN).status_code == 200
    token = get_token(client, "repository:library/app:pull")
    assert client.get("/v2/", headers=bearer(token)).status_code == 200


def test_realm_follows_the_request_host(harbor: HarborEmulator) -> None:
    client = httpx.Client(transport=harbor.transport(), base_url="https://registry.example:8443")
    response = client.get("/v2/library/app/tags/list")
    assert response.headers["Www-Authenticate"].startswith(
        'Bearer realm="https://registry.example:8443/service/token"'
    )


def test_bad_basic_credentials_get_a_basic_challenge(setup: HarborEmulator) -> None:
    client = httpx.Client(transport=setup.transport(), base_url=BASE_URL)
    response = client.get("/v2/private/app/tags/list", auth=("dev", "wrong"))
    assert response.status_code == 401
    assert response.headers["Www-Authenticate"] == 'Basic realm="harbor"'
    # bad credentials make the caller anonymous, who may pull a public repository
    public = client.get("/v2/library/app/tags/list", auth=("dev", "wrong"))
    assert public.status_code == 200


def test_catalog_always_challenges_with_basic(client: httpx.Client) -> None:
    response = client.get("/v2/_catalog")
    assert response.status_code == 401
    assert response.headers["Www-Authenticate"] == 'Basic realm="harbor"'


# -- the token service ---------------------------------------------------------------------------


def test_token_response_shape(client: httpx.Client) -> None:
    response = client.get(
        "/service/token",
        params={"service": "harbor-registry", "scope": "repository:library/app:pull,push"},
        auth=ADMIN,
    )
    assert response.status_code == 200
    document = response.json()
    assert set(document) == {"token", "access_token", "expires_in", "issued_at"}
    assert document["access_token"] == ""
    assert document["expires_in"] == 1800
    assert document["issued_at"].endswith("Z")
    assert len(document["issued_at"]) == len("2025-06-02T09:14:07Z")


def test_token_is_an_es256_jwt_signed_by_the_published_certificate(
    harbor: HarborEmulator, client: httpx.Client
) -> None:
    token = get_token(client, "repository:library/app:pull,push", auth=ADMIN)["token"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = _b64url_json(header_b64)
    assert header["alg"] == "ES256"
    certificate = x509.load_pem_x509_certificate(harbor.token_certificate_pem)
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert header["x5c"] == [base64.b64encode(der).decode()]

    signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
    assert len(signature) == 64
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert isinstance(public_key.curve, ec.SECP256R1)
    public_key.verify(
        encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        ),
        f"{header_b64}.{claims_b64}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )

    claims = _b64url_json(claims_b64)
    assert claims["iss"] == harbor.token_issuer == "harbor-token-issuer"
    assert claims["aud"] == harbor.token_service == "harbor-registry"
    assert claims["sub"] == "admin"
    assert claims["exp"] == claims["iat"] + 1800
    assert claims["nbf"] <= claims["iat"]
    assert claims["jti"]
    assert claims["access"] == [
        {"type": "repository", "name": "library/app", "actions": ["pull", "push"]}
    ]


def test_scopes_repeat_and_may_be_space_separated(client: httpx.Client) -> None:
    response = client.get(
        "/service/token",
        params=[
            ("service", "harbor-registry"),
            ("scope", "repository:library/a:pull repository:library/b:push"),
            ("scope", "repository:library/c:*"),
        ],
        auth=ADMIN,
    )
    assert _actions(response.json()) == {
        "library/a": ["pull"],
        "library/b": ["push"],
        "library/c": ["pull", "push", "delete"],
    }


def test_token_service_errors(client: httpx.Client) -> None:
    no_creds = client.get("/service/token", params={"service": "harbor-registry"})
    assert no_creds.status_code == 401
    bad_creds = client.get(
        "/service/token", params={"service": "harbor-registry"}, auth=("admin", "wrong")
    )
    assert bad_creds.status_code == 401
    login = client.get("/service/token", params={"service": "harbor-registry"}, auth=ADMIN)
    assert login.status_code == 200
    assert _claims(login.json())["access"] == []

    other = client.get("/service/token", params={"service": "other", "scope": "x:y:pull"})
    assert other.status_code == 400
    assert other.text == "Unable to handle service: other\n"
    assert client.get("/service/token").status_code == 400
    assert client.post("/service/token", data={"grant_type": "password"}).status_code == 405
    malformed = client.get(
        "/service/token", params={"service": "harbor-registry", "scope": "repository"}
    )
    assert malformed.status_code == 400


def test_invalid_credentials_get_an_anonymous_token(setup: HarborEmulator) -> None:
    client = httpx.Client(transport=setup.transport(), base_url=BASE_URL)
    token = get_token(
        client,
        "repository:library/app:pull,push",
        "repository:private/app:pull",
        auth=("dev", "wrong"),
    )
    assert _claims(token)["sub"] == ""
    assert _actions(token) == {"library/app": ["pull"], "private/app": []}


def test_unknown_resource_types_get_no_actions(client: httpx.Client) -> None:
    token = get_token(client, "registry:catalog:*", "plugin:x:pull", auth=ADMIN)
    assert _actions(token) == {"catalog": ["*"], "x": []}


# -- using tokens --------------------------------------------------------------------------------


def test_bearer_token_flow(setup: HarborEmulator) -> None:
    client = httpx.Client(transport=setup.transport(), base_url=BASE_URL)
    challenge = client.get("/v2/private/app/manifests/v1", headers={"Accept": OCI_MANIFEST})
    assert challenge.status_code == 401
    token = get_token(client, "repository:private/app:pull", auth=("dev", "dev-pw"))
    response = client.get(
        "/v2/private/app/manifests/v1", headers={"Accept": OCI_MANIFEST, **bearer(token)}
    )
    assert response.status_code == 200


def test_token_is_limited_to_its_scope(setup: HarborEmulator) -> None:
    client = httpx.Client(transport=setup.transport(), base_url=BASE_URL)
    token = get_token(client, "repository:private/app:pull", auth=ADMIN)
    assert client.get("/v2/private/app/tags/list", headers=bearer(token)).status_code == 200
    for method, path in (
        ("POST", "/v2/private/app/blobs/uploads/"),
        ("GET", "/v2/private/other-repo/tags/list"),
        ("GET", "/v2/other/app/tags/list"),
        ("DELETE", f"/v2/private/app/manifests/{sha256(b'x')}"),
    ):
        response = client.request(method, path, headers=bearer(token))
        assert response.status_code == 401, (method, path)
        assert response.headers["Www-Authenticate"] == 'Basic realm="harbor"'


def test_anonymous_tokens(setup: HarborEmulator) -> None:
    client = httpx.Client(transport=setup.transport(), base_url=BASE_URL)
    public = get_token(client, "repository:library/app:pull,push")
    assert _actions(public) == {"library/app": ["pull"]}
    assert client.get("/v2/library/app/tags/list", headers=bearer(public)).status_code == 200
    assert client.post("/v2/library/app/blobs/uploads/", headers=bearer(public)).status_code == 401
    private = get_token(client, "repository:private/app:pull")
    assert _actions(private) == {"private/app": []}
    assert client.get("/v2/private/app/tags/list", headers=bearer(private)).status_code == 401


def test_expired_token_gets_a_basic_challenge() -> None:
    harbor = HarborEmulator(token_expiration=0)
    harbor.create_project("private")
    client = httpx.Client(transport=harbor.transport(), base_url=BASE_URL)
    token = get_token(client, "repository:private/app:pull", auth=ADMIN)
    assert token["expires_in"] == 0
    response = client.get("/v2/private/app/tags/list", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["Www-Authenticate"] == 'Basic realm="harbor"'


def test_forged_and_foreign_tokens_are_refused(setup: HarborEmulator) -> None:
    client = httpx.Client(transport=setup.transport(), base_url=BASE_URL)
    token = get_token(client, "repository:private/app:pull", auth=ADMIN)["token"]
    header, claims, signature = token.split(".")
    forged_claims = _b64url_json(claims)
    forged_claims["access"][0]["actions"] = ["pull", "push", "delete"]
    forged = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=").decode()
    for bad in (f"{header}.{forged}.{signature}", f"{header}.{claims}.{signature[:-4]}AAAA", "x"):
        response = client.get(
            "/v2/private/app/tags/list", headers={"Authorization": f"Bearer {bad}"}
        )
        assert response.status_code == 401

    other = HarborEmulator()
    other.create_project("private")
    other_client = httpx.Client(transport=other.transport(), base_url=BASE_URL)
    foreign = get_token(other_client, "repository:private/app:pull", auth=ADMIN)
    response = client.get("/v2/private/app/tags/list", headers=bearer(foreign))
    assert response.status_code == 401


# -- permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "repository", "expected"),
    [
        (ADMIN, "private/app", ["pull", "push", "delete"]),
        (("dev", "dev-pw"), "private/app", ["pull", "push"]),
        (("guest", "guest-pw"), "private/app", ["pull"]),
        (("outsider", "outsider-pw"), "private/app", []),
        (("outsider", "outsider-pw"), "library/app", ["pull"]),
        (("dev", "dev-pw"), "other/app", []),
        (ADMIN, "missing/app", []),
    ],
)
def test_token_actions_follow_harbor_roles(
    setup: HarborEmulator, auth: tuple[str, str], repository: str, expected: list[str]
) -> None:
    client = httpx.Client(transport=setup.transport(), base_url=BASE_URL)
    token = get_token(client, f"repository:{repository}:pull,push,delete", auth=auth)
    assert _actions(token) == {repository: expected}


def test_basic_auth_permissions_on_v2(setup: HarborEmulator) -> None:
    client = httpx.Client(transport=setup.transport(), base_url=BASE_URL)
    dev, guest = ("dev", "dev-pw"), ("guest", "guest-pw")
    push_blob(client, "private/app", b"from dev", auth=dev)
    denied = client.post("/v2/private/app/blobs/uploads/", auth=guest)
    assert denied.status_code == 401
    assert denied.headers["Www-Authenticate"] == 'Basic realm="harbor"'
    assert client.get("/v2/private/app/tags/list", auth=guest).status_code == 200
    digest = sha256(b"from dev")
    assert client.delete(f"/v2/private/app/blobs/{digest}", auth=dev).status_code == 401
    assert client.delete(f"/v2/private/app/blobs/{digest}", auth=ADMIN).status_code == 202


def test_robots(setup: HarborEmulator) -> None:
    client = httpx.Client(transport=setup.transport(), base_url=BASE_URL)
    reader = setup.add_robot("reader", "s3cret", project="private", actions=["pull"])
    assert reader == "robot$private+reader"
    ci = setup.add_robot("ci", "ci-secret")
    assert ci == "robot$ci"

    assert client.get("/v2/private/app/tags/list", auth=(reader, "s3cret")).status_code == 200
    assert client.post("/v2/private/app/blobs/uploads/", auth=(reader, "s3cret")).status_code == 401
    assert client.get("/v2/other/app/tags/list", auth=(reader, "s3cret")).status_code == 401
    assert client.get("/v2/private/app/tags/list", auth=(reader, "wrong")).status_code == 401

    token = get_token(
        client,
        "repository:private/app:pull,push",
        "repository:other/app:pull,push,delete",
        auth=(ci, "ci-secret"),
    )
    assert _claims(token)["sub"] == "robot$ci"
    assert _actions(token) == {"private/app": ["pull", "push"], "other/app": ["pull", "push"]}


def test_configuration_errors(harbor: HarborEmulator) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        harbor.add_robot("r", "s", project="missing")
    with pytest.raises(ValueError, match="robot action"):
        harbor.add_robot("r", "s", actions=["fly"])
    with pytest.raises(ValueError, match="does not exist"):
        harbor.add_member("library", "nobody")
    with pytest.raises(ValueError, match="does not exist"):
        harbor.add_member("missing", "admin")
    with pytest.raises(ValueError, match="exists"):
        harbor.create_project("library")
    with pytest.raises(ValueError, match="invalid project name"):
        harbor.create_project("Bad_Name!")
    with pytest.raises(ValueError, match="invalid username"):
        harbor.add_user("robot$sneaky", "pw")
    with pytest.raises(ValueError, match="token_expiration"):
        HarborEmulator(token_expiration=-1)
