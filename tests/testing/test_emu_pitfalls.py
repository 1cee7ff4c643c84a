"""Harbor pitfalls #2 (CSRF once a `sid` cookie is sent) and #4 (`page_size` > 100), everywhere."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harborsec.testing import HarborEmulator
from tests._spec import validate_response
from tests.testing._emu import ADMIN, BASE_URL, no_cookies

API = "/api/v2.0"
BY_NAME = {"X-Is-Resource-Name": "true"}
RULE = {
    "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "**"}],
    "scope_selectors": {
        "repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]
    },
}

WRITES: list[tuple[str, str, Any]] = [
    ("POST", "/projects", {"project_name": "demo"}),
    ("PUT", "/projects/library", {"metadata": {"auto_scan": "true"}}),
    ("DELETE", "/projects/library", None),
    ("POST", "/projects/library/metadatas/", {"auto_scan": "true"}),
    ("PUT", "/projects/library/metadatas/public", {"public": "false"}),
    ("DELETE", "/projects/library/metadatas/public", None),
    ("PUT", "/system/CVEAllowlist", {"items": []}),
    ("POST", "/projects/library/immutabletagrules", RULE),
    ("PUT", "/projects/library/immutabletagrules/1", {**RULE, "id": 1}),
    ("DELETE", "/projects/library/immutabletagrules/1", None),
    ("POST", "/scanners", {"name": "s", "url": "http://s.example"}),
    ("POST", "/scanners/ping", {"name": "s", "url": "http://s.example"}),
    ("PUT", "/scanners/x", {"name": "s", "url": "http://s.example"}),
    ("PATCH", "/scanners/x", {"is_default": True}),
    ("DELETE", "/scanners/x", None),
    ("PUT", "/projects/library/scanner", {"uuid": "x"}),
    ("POST", "/system/scanAll/schedule", {"schedule": {"type": "Manual"}}),
    ("PUT", "/system/scanAll/schedule", {"schedule": {"type": "None"}}),
    ("POST", "/system/scanAll/stop", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_with_a_session_cookie_fail_the_csrf_check(
    harbor: HarborEmulator, method: str, path: str, body: Any
) -> None:
    """A client that keeps Harbor's `sid` cookie gets 403 on every write (pitfall #2)."""
    client = httpx.Client(transport=harbor.transport(), base_url=BASE_URL, auth=ADMIN)
    assert client.get(f"{API}/ping").status_code == 200  # sets sid
    assert "sid" in client.cookies
    response = client.request(method, f"{API}{path}", json=body, headers=BY_NAME)
    assert response.status_code == 403
    assert response.json() == {"errors": [{"code": "FORBIDDEN", "message": "CSRF token invalid"}]}
    # without the cookie, the same request gets past the check
    clean = httpx.Client(
        transport=harbor.transport(), base_url=BASE_URL, auth=ADMIN, cookies=no_cookies()
    )
    retried = clean.request(method, f"{API}{path}", json=body, headers=BY_NAME)
    assert b"CSRF token invalid" not in retried.content


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/projects", "/projects"),
        ("/projects/library/immutabletagrules", "/projects/{project_name_or_id}/immutabletagrules"),
        ("/scanners", "/scanners"),
        (
            "/projects/library/scanner/candidates",
            "/projects/{project_name_or_id}/scanner/candidates",
        ),
    ],
)
def test_page_size_above_100_is_422(harbor: HarborEmulator, path: str, template: str) -> None:
    """Pitfall #4: go-swagger refuses `page_size` above 100; 100 itself is fine."""
    client = httpx.Client(
        transport=harbor.transport(), base_url=BASE_URL, auth=ADMIN, cookies=no_cookies()
    )
    refused = client.get(f"{API}{path}", params={"page_size": 101}, headers=BY_NAME)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "code": "UNPROCESSABLE_ENTITY",
            "message": "validation failure list:\n"
            "page_size in query should be less than or equal to 100",
        }
    ]
    accepted = client.get(f"{API}{path}", params={"page_size": 100}, headers=BY_NAME)
    assert accepted.status_code == 200
    validate_response("GET", template, 200, accepted.json())
    assert "X-Total-Count" in accepted.headers
    not_a_number = client.get(f"{API}{path}", params={"page_size": "ten"}, headers=BY_NAME)
    assert not_a_number.status_code == 422
