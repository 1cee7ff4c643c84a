"""Project operations with canned answers: the requests they build, and what they refuse to send.

Behaviour against a Harbor-like server is tested in tests/client/test_projects.py (emulator).
"""

import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from harborsec import Registry
from harborsec._core._paging import Pager
from harborsec.errors import (
    ConcurrentUpdateError,
    ForbiddenError,
    InvalidPolicyError,
    MalformedResponseError,
    NotFoundError,
    ServerError,
    UnauthorizedError,
)
from harborsec.harbor._allowlists import (
    WRITE_ATTEMPTS,
    CveAllowlist,
    adding,
    edit_system_allowlist,
    expiring,
    removing,
    replacing,
)
from harborsec.harbor._config import ConfigChanges
from harborsec.harbor._identity import whoami
from harborsec.harbor._project_allowlist import edit_project_allowlist
from harborsec.harbor._projects import (
    create_project,
    delete_project,
    get_project,
    list_projects_page,
    project_pages,
    update_project_config,
)
from harborsec.harbor._severity import Severity
from tests._spec import validate_request_body

BASE = httpx.URL("https://harbor.test")
UTC = timezone.utc
TEMPLATES = {
    "/api/v2.0/projects": "/projects",
    "/api/v2.0/system/CVEAllowlist": "/system/CVEAllowlist",
}


def template(path: str) -> str:
    if path in TEMPLATES:
        return TEMPLATES[path]
    assert path.startswith("/api/v2.0/projects/"), path
    return "/projects/{project_name_or_id}"


class Canned:
    """Answers each request with the next canned response; records what was sent."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.content:
            body = json.loads(request.content)
            validate_request_body(request.method, template(request.url.path), body)
        return self.responses.pop(0)

    def bodies(self) -> list[object]:
        return [json.loads(r.content) for r in self.requests if r.content]


def run(op, *responses: httpx.Response):
    canned = Canned(*responses)
    with Registry(str(BASE), auth=("admin", "pw"), transport=httpx.MockTransport(canned)) as reg:
        return reg._runner.run(op), canned


def project_json(name="team", **extra):
    return {
        "project_id": 3,
        "name": name,
        "repo_count": 0,
        "metadata": {"public": "false"},
        **extra,
    }


def ok(body=None, status=200, headers=None):
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


# -- listing --------------------------------------------------------------------------------------


def test_list_page_sends_filters_and_a_bounded_page_size():
    page, canned = run(
        list_projects_page(BASE, 2, name="te", q="name=~a,public=true", public=False, page_size=5),
        ok([project_json()], headers={"X-Total-Count": "6"}),
    )
    params = canned.requests[0].url.params
    assert canned.requests[0].url.path == "/api/v2.0/projects"
    assert dict(params) == {
        "name": "te",
        "q": "name=~a,public=true",
        "public": "false",
        "page": "2",
        "page_size": "5",
    }
    assert [p.name for p in page.items] == ["team"]
    assert page.total == 6 and not page.has_next


@pytest.mark.parametrize("size", [0, 101, 1000])
def test_page_size_above_100_is_refused_before_sending(size):
    # Harbor answers 422 above 100 (harbor-pitfalls #4); the pager checks when it is built.
    with pytest.raises(ValueError, match="1 to 100"):
        project_pages(BASE, page_size=size)
    with pytest.raises(ValueError, match="1 to 100"):
        list_projects_page(BASE, 1, page_size=size)


def test_pager_counts_with_x_total_count_and_ignores_link():
    # Harbor's Link is relative with an unescaped q: a client following it would break.
    link = '</api/v2.0/projects?page=2&page_size=2&q=name=~a,b>; rel="next"'
    pages = {
        "1": ok(
            [project_json("a1"), project_json("a2")], headers={"X-Total-Count": "3", "Link": link}
        ),
        "2": ok([project_json("a3")], headers={"X-Total-Count": "3"}),
    }
    seen = []

    def handler(request):
        seen.append(request.url)
        return pages[request.url.params["page"]]

    with Registry(str(BASE), auth=None, transport=httpx.MockTransport(handler)) as registry:
        pager = Pager(registry._runner.run, project_pages(BASE, q="name=~a,b", page_size=2))
        assert [p.name for p in pager] == ["a1", "a2", "a3"]
    assert [u.params["q"] for u in seen] == ["name=~a,b", "name=~a,b"]
    assert [u.params["page"] for u in seen] == ["1", "2"]


# -- one project ----------------------------------------------------------------------------------


def test_get_project_addresses_it_by_name():
    info, canned = run(get_project(BASE, "123"), ok(project_json("123")))
    request = canned.requests[0]
    assert request.url.path == "/api/v2.0/projects/123"
    assert request.headers["X-Is-Resource-Name"] == "true"
    assert info.name == "123"


def test_get_project_with_a_body_that_is_not_json():
    with pytest.raises(MalformedResponseError):
        run(get_project(BASE, "team"), httpx.Response(200, content=b"<html>"))


def test_create_project_body():
    config = ConfigChanges(auto_scan=True, severity=Severity.HIGH, prevent_vulnerable=True)
    result, canned = run(
        create_project(BASE, "team", public=True, config=config, storage_limit=-1), ok(status=201)
    )
    assert result is None
    assert canned.requests[0].method == "POST"
    assert canned.bodies() == [
        {
            "project_name": "team",
            "metadata": {
                "auto_scan": "true",
                "prevent_vul": "true",
                "severity": "high",
                "public": "true",
            },
            "storage_limit": -1,
        }
    ]


def test_create_project_takes_public_from_the_config():
    _, canned = run(create_project(BASE, "p", config=ConfigChanges(public=True)), ok(status=201))
    assert canned.bodies()[0]["metadata"] == {"public": "true"}
    _, canned = run(create_project(BASE, "p"), ok(status=201))
    assert canned.bodies()[0] == {"project_name": "p", "metadata": {"public": "false"}}


def test_create_project_refuses_contradicting_public_settings():
    with pytest.raises(InvalidPolicyError):
        run(create_project(BASE, "p", public=True, config=ConfigChanges(public=False)))


def test_delete_project():
    _, canned = run(delete_project(BASE, "a b"), ok())
    assert canned.requests[0].method == "DELETE"
    assert canned.requests[0].url.raw_path == b"/api/v2.0/projects/a%20b"
    assert canned.requests[0].headers["X-Is-Resource-Name"] == "true"


def test_update_config_sends_only_the_given_keys_then_reads_back():
    after = project_json(metadata={"prevent_vul": "true", "severity": "critical"})
    config, canned = run(
        update_project_config(
            BASE, "team", ConfigChanges(prevent_vulnerable=True, severity="critical")
        ),
        ok(),
        ok(after),
    )
    assert [r.method for r in canned.requests] == ["PUT", "GET"]
    assert canned.bodies() == [{"metadata": {"prevent_vul": "true", "severity": "critical"}}]
    assert config.severity is Severity.CRITICAL and config.prevent_vulnerable


def test_update_config_with_nothing_to_change_only_reads():
    _, canned = run(update_project_config(BASE, "team", ConfigChanges()), ok(project_json()))
    assert [r.method for r in canned.requests] == ["GET"]


# -- allowlists -----------------------------------------------------------------------------------


def test_replace_dedupes_and_switches_the_project_to_its_list():
    at = datetime(2027, 6, 30, tzinfo=UTC)
    edit, needs_current = replacing(["CVE-2024-3094", "CVE-2023-44487", "CVE-2024-3094"], at)
    assert not needs_current
    stored = project_json(  # as Harbor stored it: its own order, its own metadata
        cve_allowlist={
            "expires_at": int(at.timestamp()),
            "items": [{"cve_id": "CVE-2023-44487"}, {"cve_id": "CVE-2024-3094"}],
        },
        metadata={"public": "false", "reuse_sys_cve_allowlist": "false"},
    )
    result, canned = run(
        edit_project_allowlist(BASE, "team", edit, needs_current=False), ok(), ok(stored)
    )
    assert [r.method for r in canned.requests] == ["PUT", "GET"]
    assert canned.bodies() == [
        {
            "cve_allowlist": {
                "items": [{"cve_id": "CVE-2024-3094"}, {"cve_id": "CVE-2023-44487"}],
                "expires_at": 1814313600,
            },
            "metadata": {"reuse_sys_cve_allowlist": "false"},
        }
    ]
    # what Harbor answered, not what was sent
    assert result == CveAllowlist(("CVE-2023-44487", "CVE-2024-3094"), at)


def test_replace_without_an_expiry_keeps_the_current_one():
    edit, needs_current = replacing(["CVE-2024-3094"])
    assert needs_current
    current = project_json(cve_allowlist={"expires_at": 1814313600, "items": []})
    stored = project_json(
        cve_allowlist={"expires_at": 1814313600, "items": [{"cve_id": "CVE-2024-3094"}]}
    )
    _, canned = run(
        edit_project_allowlist(BASE, "team", edit, use=False), ok(current), ok(), ok(stored)
    )
    assert canned.bodies() == [
        {"cve_allowlist": {"items": [{"cve_id": "CVE-2024-3094"}], "expires_at": 1814313600}}
    ]


def test_set_expiry_to_never_sends_null():
    _, canned = run(
        edit_system_allowlist(BASE, expiring(None)),
        ok({"items": [{"cve_id": "CVE-2024-3094"}], "expires_at": 1814313600}),
        ok(),
        ok({"items": [{"cve_id": "CVE-2024-3094"}], "expires_at": None}),
    )
    assert canned.bodies() == [{"items": [{"cve_id": "CVE-2024-3094"}], "expires_at": None}]


def _system(*ids: str) -> httpx.Response:
    return ok({"items": [{"cve_id": i} for i in ids], "expires_at": None})


def test_an_overwritten_edit_is_made_again_on_what_was_stored():
    # Another client's write (CVE-2023-44487, built from an older read) replaced ours between
    # our PUT and the read-back: the edit is made again on top of it, and both ids stay.
    result, canned = run(
        edit_system_allowlist(BASE, adding(["CVE-2024-3094"])),
        _system(),
        ok(),
        _system("CVE-2023-44487"),
        ok(),
        _system("CVE-2023-44487", "CVE-2024-3094"),
    )
    assert [r.method for r in canned.requests] == ["GET", "PUT", "GET", "PUT", "GET"]
    assert canned.bodies()[1]["items"] == [
        {"cve_id": "CVE-2023-44487"},
        {"cve_id": "CVE-2024-3094"},
    ]
    assert result == CveAllowlist(("CVE-2023-44487", "CVE-2024-3094"))


def test_an_edit_that_never_sticks_is_a_typed_conflict_not_a_success():
    responses = [_system()]
    for _ in range(WRITE_ATTEMPTS):
        responses += [ok(), _system("CVE-2023-44487")]  # always overwritten
    with pytest.raises(ConcurrentUpdateError) as caught:
        run(edit_system_allowlist(BASE, adding(["CVE-2024-3094"])), *responses)
    assert caught.value.attempts == WRITE_ATTEMPTS
    assert caught.value.what == "system CVE allowlist"
    assert "another writer" in str(caught.value)


def test_an_edit_already_in_place_writes_nothing():
    result, canned = run(
        edit_system_allowlist(BASE, adding(["CVE-2024-3094"])), _system("CVE-2024-3094")
    )
    assert [r.method for r in canned.requests] == ["GET"]
    assert result == CveAllowlist(("CVE-2024-3094",))


def test_expiry_is_compared_as_harbor_stores_it_in_whole_seconds():
    at = datetime(2027, 6, 30, 12, 0, 0, 999_999, tzinfo=UTC)
    stored = {"items": [], "expires_at": int(at.timestamp())}
    _, canned = run(edit_system_allowlist(BASE, expiring(at)), _system(), ok(), ok(stored))
    assert [r.method for r in canned.requests] == ["GET", "PUT", "GET"]


def test_removing_accepts_malformed_ids_stored_earlier():
    edit = removing(["cve-2024-1 ", "CVE-2024-3094"])
    assert edit(CveAllowlist(("cve-2024-1", "CVE-2024-3094", "CVE-2023-44487"))).items == (
        "CVE-2023-44487",
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: replacing(["CVE-2024-3094", "not a cve"]),
        lambda: replacing("CVE-2024-3094"),
        lambda: replacing([], datetime(2027, 1, 1)),  # naive
        lambda: expiring(datetime.now() + timedelta(days=1)),  # naive
        lambda: removing("CVE-2024-3094"),
    ],
)
def test_bad_allowlist_arguments_are_refused_when_the_edit_is_built(make):
    with pytest.raises(InvalidPolicyError):
        make()


# -- whoami ---------------------------------------------------------------------------------------


def test_whoami_reads_system_permissions():
    perms = [
        {"resource": "project", "action": "create"},
        {"resource": "project", "action": "create"},
    ]
    identity, canned = run(whoami(BASE, "robot$ci"), ok(perms))
    url = canned.requests[0].url
    assert url.path == "/api/v2.0/users/current/permissions"
    assert dict(url.params) == {"scope": "/system", "relative": "true"}
    assert identity.username == "robot$ci" and identity.robot
    assert identity.can("project", "create") and len(identity.permissions) == 1


def test_whoami_with_another_robot_prefix():
    identity, _ = run(whoami(BASE, "bot_ci", robot_prefix="bot_"), ok([]))
    assert identity.robot
    identity, _ = run(whoami(BASE, "robot$ci", robot_prefix="bot_"), ok([]))
    assert not identity.robot


def test_whoami_says_why_on_401():
    answer = {"errors": [{"code": "UNAUTHORIZED", "message": "UnAuthorized"}]}
    with pytest.raises(
        UnauthorizedError, match="did not accept the credentials of 'alice'"
    ) as info:
        run(whoami(BASE, "alice"), httpx.Response(401, json=answer, headers={"X-Request-Id": "r1"}))
    assert info.value.status_code == 401
    assert info.value.request_id == "r1"
    assert info.value.code == "UNAUTHORIZED"
    with pytest.raises(UnauthorizedError, match="no credentials"):
        run(whoami(BASE, None), httpx.Response(401, json=answer))


def test_whoami_other_errors_pass_through():
    with pytest.raises(ServerError):
        run(whoami(BASE, "alice"), httpx.Response(500, json={"errors": []}))
    with pytest.raises(MalformedResponseError):
        run(whoami(BASE, "alice"), ok({"resource": "x"}))


# -- a missing project answers 403 by name: told apart with HEAD ---------------------------------

FORBIDDEN = {"errors": [{"code": "FORBIDDEN", "message": "forbidden"}]}


@pytest.mark.parametrize(
    "op",
    [
        lambda: get_project(BASE, "gone"),
        lambda: delete_project(BASE, "gone"),
        lambda: update_project_config(BASE, "gone", ConfigChanges(auto_scan=True)),
        lambda: edit_project_allowlist(BASE, "gone", expiring(None), needs_current=False),
    ],
)
def test_403_then_head_404_is_not_found(op):
    canned = Canned(httpx.Response(403, json=FORBIDDEN), httpx.Response(404))
    with Registry(str(BASE), auth=("u", "p"), transport=httpx.MockTransport(canned)) as registry:
        with pytest.raises(NotFoundError, match="project 'gone' not found") as info:
            registry._runner.run(op())
    assert info.value.status_code == 404
    head = canned.requests[1]
    assert head.method == "HEAD"
    assert head.url.path == "/api/v2.0/projects"
    assert dict(head.url.params) == {"project_name": "gone"}


def test_403_then_head_200_stays_forbidden():
    canned = Canned(httpx.Response(403, json=FORBIDDEN), httpx.Response(200))
    with Registry(str(BASE), auth=("u", "p"), transport=httpx.MockTransport(canned)) as registry:
        with pytest.raises(ForbiddenError) as info:
            registry._runner.run(get_project(BASE, "private"))
    assert info.value.code == "FORBIDDEN"
    assert info.value.method == "GET"


def test_other_errors_do_not_ask_head():
    canned = Canned(httpx.Response(401, json={"errors": []}))
    with Registry(str(BASE), auth=None, transport=httpx.MockTransport(canned)) as registry:
        with pytest.raises(UnauthorizedError):
            registry._runner.run(get_project(BASE, "x"))
    assert len(canned.requests) == 1
