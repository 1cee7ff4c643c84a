"""Tag immutability in the emulator: rules API, Harbor's matcher, doublestar, registry checks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harborsec.testing import HarborEmulator
from harborsec.testing._immutability import (
    EvaluationError,
    PatternError,
    doublestar_match,
    evaluate_rules,
)
from tests._spec import validate_definition, validate_request_body, validate_response
from tests.testing._emu import ADMIN, BASE_URL, OCI_MANIFEST, image_manifest, no_cookies, push_image

API = "/api/v2.0"
BY_NAME = {"X-Is-Resource-Name": "true"}
RULES = "/projects/{project_name_or_id}/immutabletagrules"
RULE = RULES + "/{immutable_rule_id}"


def _client(harbor: HarborEmulator, auth: Any = ADMIN) -> httpx.Client:
    return httpx.Client(
        transport=harbor.transport(), base_url=BASE_URL, auth=auth, cookies=no_cookies()
    )


def rule(
    tags: str = "**",
    repositories: str = "**",
    *,
    tag_decoration: str = "matches",
    repo_decoration: str = "repoMatches",
    kind: str = "doublestar",
    **extra: Any,
) -> dict[str, Any]:
    """A rule body as Harbor's UI sends it."""
    return {
        "disabled": False,
        "priority": 0,
        "action": "immutable",
        "template": "immutable_template",
        "tag_selectors": [{"kind": kind, "decoration": tag_decoration, "pattern": tags}],
        "scope_selectors": {
            "repository": [{"kind": kind, "decoration": repo_decoration, "pattern": repositories}]
        },
        **extra,
    }


def _create(client: httpx.Client, body: dict[str, Any], project: str = "team") -> httpx.Response:
    validate_request_body("POST", RULES, body)
    return client.post(f"{API}/projects/{project}/immutabletagrules", json=body, headers=BY_NAME)


def _created_id(response: httpx.Response) -> int:
    assert response.status_code == 201, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _list(client: httpx.Client, project: str = "team", **params: Any) -> list[dict[str, Any]]:
    response = client.get(
        f"{API}/projects/{project}/immutabletagrules", params=params, headers=BY_NAME
    )
    assert response.status_code == 200, response.text
    validate_response("GET", RULES, 200, response.json())
    rules: list[dict[str, Any]] = response.json()
    return rules


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    validate_definition("Errors", response.json())
    message: str = response.json()["errors"][0]["message"]
    assert response.json()["errors"][0]["code"] == code
    return message


@pytest.fixture
def team(harbor: HarborEmulator) -> HarborEmulator:
    harbor.create_project("team")
    for role in ("maintainer", "developer", "guest"):
        harbor.add_user(role, "pw")
        harbor.add_member("team", role, role=role)
    return harbor


# -- doublestar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("**", "a/b/c", True),
        ("**", "", True),
        ("*", "", True),
        ("*", "api", True),
        ("*", "api/server", False),
        ("api/*", "api/server", True),
        ("api/*", "api/server/x", False),
        ("api/**", "api", False),
        ("api/**", "api/server/x", True),
        ("**/server", "server", True),
        ("**/server", "a/b/server", True),
        ("**/server", "a/b/server2", False),
        ("a/**/c", "a/c", True),
        ("a/**/c", "a/b/b/c", True),
        ("a**", "a/b", False),  # ** inside a component is a *
        ("a**b", "axxb", True),
        ("?", "a", True),
        ("?", "/", False),
        ("v?.*", "v1.2", True),
        ("v[0-9]*.[0-9]*.[0-9]*", "v1.22.3", True),
        ("v[0-9]*.[0-9]*.[0-9]*", "v1.2", False),
        ("v[0-9]*.[0-9]*.[0-9]*", "vx.2.3", False),
        ("[^0-9]*", "latest", True),
        ("[^0-9]*", "1.0", False),
        ("[\\]a]", "]", True),
        ("{v*,release-*}", "release-2024", True),
        ("{v*,release-*}", "latest", False),
        ("{api,web}/**", "web/ui", True),
        ("{api,web}/**", "db/x", False),
        ("a/{b/c,c/b}", "a/c/b", True),
        ("{a/{b,c},abc}", "a/c", True),
        ("{a/{b,c},abc}", "a/b/c", False),
        ("a{,bc}", "a", True),
        ("x/{**,y}/z", "x/q/z", True),  # ** opening an alternative is a *
        ("x/{**,y}/z", "x/q/r/z", False),
        ("{a/,b/}**", "a/q/r", True),  # but a whole component after a / is a globstar
        ("\\*", "*", True),
        ("\\*", "x", False),
        ("a/\\**", "a/b/c", False),
        ("", "", True),
        ("", "x", False),
    ],
)
def test_doublestar(pattern: str, name: str, expected: bool) -> None:
    assert doublestar_match(pattern, name) is expected


@pytest.mark.parametrize("pattern", ["[", "[^", "[]a]", "[-x]", "[x-]", "[a-b-c]", "{a,b", "x\\"])
def test_doublestar_bad_patterns(pattern: str) -> None:
    with pytest.raises(PatternError):
        doublestar_match(pattern, "a")


# -- the matcher ---------------------------------------------------------------------------------


def test_matcher_uses_the_first_selectors_only() -> None:
    first_only = rule("v*", "api")
    first_only["tag_selectors"].append(
        {"kind": "doublestar", "decoration": "matches", "pattern": "**"}
    )
    first_only["scope_selectors"]["repository"].append(
        {"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}
    )
    assert evaluate_rules([first_only], "api", "v1")
    assert not evaluate_rules([first_only], "api", "latest")
    assert not evaluate_rules([first_only], "web", "v1")
    no_scope = rule()
    no_scope["scope_selectors"] = {}
    assert not evaluate_rules([no_scope], "api", "v1")
    assert not evaluate_rules([{**rule(), "disabled": True}], "api", "v1")


def test_matcher_decorations() -> None:
    assert evaluate_rules([rule("latest", tag_decoration="excludes")], "api", "v1")
    assert not evaluate_rules([rule("latest", tag_decoration="excludes")], "api", "latest")
    assert evaluate_rules([rule(repositories="api", repo_decoration="repoExcludes")], "web", "v1")
    assert not evaluate_rules(
        [rule(repositories="api", repo_decoration="repoExcludes")], "api", "v1"
    )
    assert not evaluate_rules([rule(repo_decoration="nsMatches")], "api", "v1")
    assert evaluate_rules([rule(tags="", repositories="")], "api", "v1")  # empty matches all


@pytest.mark.parametrize(
    "bad",
    [
        rule(kind="regex"),
        rule(tag_decoration="matching"),
        rule(repo_decoration="matches"[:0]),
        rule(tags="v[1"),
    ],
)
def test_matcher_fails_on_what_harbor_cannot_evaluate(bad: dict[str, Any]) -> None:
    with pytest.raises(EvaluationError):
        evaluate_rules([bad, rule()], "api", "v1")
    assert evaluate_rules([rule(), bad], "api", "v1")  # a match before it is never affected


# -- the API -------------------------------------------------------------------------------------


def test_create_and_list(team: HarborEmulator) -> None:
    client = _client(team)
    response = _create(client, rule("v*", "api/**", disabled=True))
    rule_id = _created_id(response)
    assert response.headers["Location"] == f"{API}/projects/team/immutabletagrules/{rule_id}"
    (listed,) = _list(client)
    assert listed == {
        "id": rule_id,
        "action": "immutable",
        "template": "immutable_template",
        "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "v*"}],
        "scope_selectors": {
            "repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "api/**"}]
        },
    }  # created enabled although the body said disabled
    by_id = client.get(f"{API}/projects/2/immutabletagrules")  # no X-Is-Resource-Name: an id
    assert by_id.json() == [listed]


def test_identical_rule_is_409(team: HarborEmulator) -> None:
    client = _client(team)
    _created_id(_create(client, rule("v*")))
    assert _error(_create(client, rule("v*")), 409, "CONFLICT") == "immutable rule already exists"
    _created_id(_create(client, rule("v*", disabled=True)))  # a different body
    team.create_project("other")
    _created_id(_create(client, rule("v*"), project="other"))  # unique per project


def test_nothing_is_validated_and_there_is_no_limit(team: HarborEmulator) -> None:
    client = _client(team)
    _created_id(_create(client, rule(kind="regex", tag_decoration="bogus")))
    _created_id(_create(client, rule("v[")))
    for index in range(16):
        _created_id(_create(client, rule(f"t{index}")))
    page = client.get(f"{API}/projects/team/immutabletagrules", headers=BY_NAME)
    assert page.headers["X-Total-Count"] == "18"
    assert len(page.json()) == 10  # default page size
    ids = [r["id"] for r in _list(client, page_size=100)]
    assert ids == sorted(ids)
    assert len(ids) == 18


def test_update_toggle_discards_other_changes(team: HarborEmulator) -> None:
    client = _client(team)
    rule_id = _created_id(_create(client, rule("v*")))
    url = f"{API}/projects/team/immutabletagrules/{rule_id}"
    toggled = rule("release-*", id=rule_id, disabled=True)
    validate_request_body("PUT", RULE, toggled)
    assert client.put(url, json=toggled, headers=BY_NAME).status_code == 200
    (listed,) = _list(client)
    assert listed["disabled"] is True
    assert listed["tag_selectors"][0]["pattern"] == "v*"  # the edit was dropped

    assert client.put(url, json=toggled, headers=BY_NAME).status_code == 200  # now: the edit
    (listed,) = _list(client)
    assert listed["tag_selectors"][0]["pattern"] == "release-*"
    assert listed["disabled"] is True


def test_update_id_must_match(team: HarborEmulator) -> None:
    client = _client(team)
    rule_id = _created_id(_create(client, rule()))
    url = f"{API}/projects/team/immutabletagrules/{rule_id}"
    message = _error(client.put(url, json=rule(), headers=BY_NAME), 400, "BAD_REQUEST")
    assert message == (
        "the immutable_rule_id doesn't match the id in the payload body of ImmutableRule"
    )
    # checked before anything else, even who is asking
    anonymous = _client(team, None).put(url, json=rule(id=rule_id + 1), headers=BY_NAME)
    _error(anonymous, 400, "BAD_REQUEST")
    _error(
        _client(team, None).put(url, json=rule(id=rule_id), headers=BY_NAME), 401, "UNAUTHORIZED"
    )


def test_rules_of_another_project_are_404(team: HarborEmulator) -> None:
    client = _client(team)
    team.create_project("other")
    foreign = _created_id(_create(client, rule(), project="other"))
    url = f"{API}/projects/team/immutabletagrules/{foreign}"
    assert _error(client.delete(url, headers=BY_NAME), 404, "NOT_FOUND") == (
        "project id 2 does not match"
    )
    _error(client.put(url, json=rule(id=foreign), headers=BY_NAME), 404, "NOT_FOUND")
    missing = client.delete(f"{API}/projects/team/immutabletagrules/999", headers=BY_NAME)
    assert _error(missing, 404, "NOT_FOUND") == "immutable rule 999 not found"
    validate_response("DELETE", RULE, 404, missing.json())
    assert (
        client.delete(
            f"{API}/projects/other/immutabletagrules/{foreign}", headers=BY_NAME
        ).status_code
        == 200
    )
    assert _list(client, "other") == []


def test_permissions(team: HarborEmulator) -> None:
    maintainer = _client(team, ("maintainer", "pw"))
    _created_id(_create(maintainer, rule()))
    assert len(_list(maintainer)) == 1
    for who in ("developer", "guest"):
        _error(_create(_client(team, (who, "pw")), rule("x")), 403, "FORBIDDEN")
        listed = _client(team, (who, "pw")).get(
            f"{API}/projects/team/immutabletagrules", headers=BY_NAME
        )
        _error(listed, 403, "FORBIDDEN")
    _error(_create(_client(team, None), rule("y")), 401, "UNAUTHORIZED")
    robot = team.add_robot("ci", "s", project="team", actions=["immutable-tag:create"])
    _created_id(_create(_client(team, (robot, "s")), rule("z")))
    reader = team.add_robot("reader", "s", project="team", actions=["pull"])
    _error(_create(_client(team, (reader, "s")), rule("w")), 403, "FORBIDDEN")


def test_bad_bodies(team: HarborEmulator) -> None:
    client = _client(team)
    url = f"{API}/projects/team/immutabletagrules"
    _error(client.post(url, json={**rule(), "disabled": "no"}, headers=BY_NAME), 400, "BAD_REQUEST")
    bad_selector = rule()
    bad_selector["tag_selectors"][0]["pattern"] = 7
    _error(client.post(url, json=bad_selector, headers=BY_NAME), 400, "BAD_REQUEST")
    _error(client.post(url, headers=BY_NAME), 422, "UNPROCESSABLE_ENTITY")


# -- enforcement in the registry -----------------------------------------------------------------


def test_push_over_an_immutable_tag_is_412(team: HarborEmulator) -> None:
    client = _client(team)
    _created_id(_create(client, rule("v*", "api/**")))
    push_image(client, "team/api/server", "v1")
    push_image(client, "team/api/server", "latest")
    body = image_manifest(b"{}", [b"other layer"])
    push_image(client, "team/api/server", "scratch", layers=[b"other layer"])

    refused = client.put(
        "/v2/team/api/server/manifests/v1", content=body, headers={"Content-Type": OCI_MANIFEST}
    )
    message = _error(refused, 412, "PRECONDITION")
    assert message == "Failed to process request due to 'api/server:v1' configured as immutable."
    assert (
        client.put(
            "/v2/team/api/server/manifests/latest",
            content=body,
            headers={"Content-Type": OCI_MANIFEST},
        ).status_code
        == 201
    )
    assert (
        client.put(  # a new tag that matches is fine: only existing tags are protected
            "/v2/team/api/server/manifests/v2", content=body, headers={"Content-Type": OCI_MANIFEST}
        ).status_code
        == 201
    )


def test_repository_pattern_has_no_project_prefix(team: HarborEmulator) -> None:
    client = _client(team)
    _created_id(_create(client, rule("**", "team/**")))  # a common mistake: never matches
    push_image(client, "team/app", "v1")
    push_image(client, "team/app", "v1")  # re-push allowed


def test_disabled_rules_and_other_projects_do_not_protect(team: HarborEmulator) -> None:
    client = _client(team)
    rule_id = _created_id(_create(client, rule()))
    url = f"{API}/projects/team/immutabletagrules/{rule_id}"
    client.put(url, json=rule(id=rule_id, disabled=True), headers=BY_NAME)
    push_image(client, "team/app", "v1")
    push_image(client, "team/app", "v1")
    push_image(client, "library/app", "v1")
    push_image(client, "library/app", "v1")


def test_a_bad_rule_silently_disables_the_rules_after_it(team: HarborEmulator) -> None:
    client = _client(team)
    _created_id(_create(client, rule(kind="regex")))  # saved without complaint
    _created_id(_create(client, rule("v*")))
    push_image(client, "team/app", "v1")
    push_image(client, "team/app", "v1")  # Harbor logs the evaluation error: not immutable


def test_deleting_a_manifest_with_an_immutable_tag_is_412(team: HarborEmulator) -> None:
    client = _client(team)
    digest, _ = push_image(client, "team/app", "v1")
    _created_id(_create(client, rule("v*")))
    refused = client.delete(f"/v2/team/app/manifests/{digest}")
    assert _error(refused, 412, "PRECONDITION") == (
        "Failed to process request due to 'app:v1' configured as immutable."
    )
