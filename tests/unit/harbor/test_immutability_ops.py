"""Immutability operations with canned answers: the requests they send, in order, and what they
refuse to send. Every request body is checked against Harbor's spec.

Behaviour against a Harbor-like server is tested in tests/client/test_immutability.py.
"""

import json

import httpx
import pytest

from harborsec.errors import (
    InvalidPolicyError,
    MalformedResponseError,
    NotFoundError,
    ServerError,
)
from harborsec.harbor._immutability import (
    ImmutabilityRule,
    create_rule,
    delete_rule,
    list_rules,
    rule_is_immutable,
    rule_to_wire,
    set_rule_disabled,
    update_rule,
)
from tests._spec import drive

BASE = httpx.URL("https://harbor.test")
PREFIX = "/api/v2.0/projects/team/immutabletagrules"


def rules_page(*rules, total=None):
    bodies = [rule_to_wire(r) for r in rules]
    headers = {"X-Total-Count": str(len(bodies) if total is None else total)}
    return httpx.Response(200, json=bodies, headers=headers)


def created(rule_id):
    return httpx.Response(201, headers={"Location": f"{PREFIX}/{rule_id}"})


OK = httpx.Response(200)
STORED = ImmutabilityRule(repositories="api/**", tags="v*", id=5)


def test_list_reads_every_page_at_the_maximum_page_size():
    first = [ImmutabilityRule(tags=f"t{i}", id=i) for i in range(1, 101)]
    rules, sent = drive(
        list_rules(BASE, "team"),
        rules_page(*first, total=101),
        rules_page(ImmutabilityRule(tags="last", id=101), total=101),
    )
    assert [r.id for r in rules] == list(range(1, 102))
    assert [(r.url.params["page"], r.url.params["page_size"]) for r in sent] == [
        ("1", "100"),
        ("2", "100"),
    ]
    assert sent[0].url.path == PREFIX


def test_a_project_name_is_one_encoded_segment():
    _, sent = drive(list_rules(BASE, "123"), rules_page())
    assert sent[0].url.path == "/api/v2.0/projects/123/immutabletagrules"
    assert sent[0].headers["X-Is-Resource-Name"] == "true"


def test_create_checks_the_limit_then_posts_the_ui_body():
    rule = ImmutabilityRule(repositories="api/**", tags="{v*,release-*}", id=99)
    result, sent = drive(create_rule(BASE, "team", rule), rules_page(STORED), created(12))
    assert [r.method for r in sent] == ["GET", "POST"]
    body = json.loads(sent[1].content)
    assert "id" not in body  # Harbor assigns ids
    assert body["tag_selectors"][0]["pattern"] == "{v*,release-*}"
    assert result == ImmutabilityRule(repositories="api/**", tags="{v*,release-*}", id=12)


def test_a_16th_rule_is_refused_without_sending_it():
    full = [ImmutabilityRule(tags=f"t{i}", id=i) for i in range(1, 16)]
    op = create_rule(BASE, "team", ImmutabilityRule(tags="one-more"))
    with pytest.raises(InvalidPolicyError, match="at most 15") as info:
        drive(op, rules_page(*full))
    assert info.value.location == "immutability rule 16"


def test_the_limit_can_be_lifted():
    result, sent = drive(
        create_rule(BASE, "team", ImmutabilityRule(tags="x"), enforce_limit=False), created(16)
    )
    assert [r.method for r in sent] == ["POST"]
    assert result.id == 16


def test_an_invalid_rule_sends_nothing():
    op = create_rule(BASE, "team", ImmutabilityRule(tags="v[0-9"))
    with pytest.raises(InvalidPolicyError, match="unclosed"):
        drive(op)


def test_a_disabled_rule_is_created_then_disabled_in_its_own_put():
    rule = ImmutabilityRule(tags="rc-*", disabled=True)
    result, sent = drive(create_rule(BASE, "team", rule, enforce_limit=False), created(3), OK)
    assert [r.method for r in sent] == ["POST", "PUT"]
    assert json.loads(sent[0].content)["disabled"] is False  # Harbor forces it anyway
    put = json.loads(sent[1].content)
    assert sent[1].url.path == f"{PREFIX}/3"
    assert put["id"] == 3
    assert put["disabled"] is True
    assert result.disabled and result.id == 3


def test_without_a_location_the_new_rule_is_found_by_content():
    rule = ImmutabilityRule(tags="x")
    result, _ = drive(
        create_rule(BASE, "team", rule, enforce_limit=False),
        httpx.Response(201),
        rules_page(STORED, ImmutabilityRule(tags="x", id=8)),
    )
    assert result.id == 8
    with pytest.raises(MalformedResponseError):
        drive(
            create_rule(BASE, "team", rule, enforce_limit=False),
            httpx.Response(201),
            rules_page(STORED),
        )


def test_an_edit_alone_is_one_put_that_keeps_the_stored_toggle():
    stored = ImmutabilityRule(tags="v*", id=5, disabled=True)
    wanted = ImmutabilityRule(tags="release-*", id=5, disabled=True)
    result, sent = drive(update_rule(BASE, "team", wanted), rules_page(stored), OK)
    assert [r.method for r in sent] == ["GET", "PUT"]
    body = json.loads(sent[1].content)
    assert body["disabled"] is True
    assert body["tag_selectors"][0]["pattern"] == "release-*"
    assert result == wanted


def test_an_edit_and_a_toggle_are_two_puts_edit_first():
    stored = ImmutabilityRule(tags="v*", id=5)
    wanted = ImmutabilityRule(tags="release-*", id=5, disabled=True)
    _, sent = drive(update_rule(BASE, "team", wanted), rules_page(stored), OK, OK)
    assert [r.method for r in sent] == ["GET", "PUT", "PUT"]
    edit, toggle = (json.loads(r.content) for r in sent[1:])
    # the edit keeps the stored value of disabled, so Harbor applies it
    assert (edit["disabled"], edit["tag_selectors"][0]["pattern"]) == (False, "release-*")
    assert (toggle["disabled"], toggle["tag_selectors"][0]["pattern"]) == (True, "release-*")
    assert all(r.url.path == f"{PREFIX}/5" for r in sent[1:])


def test_a_toggle_alone_is_one_put():
    stored = ImmutabilityRule(tags="v*", id=5, disabled=True)
    _, sent = drive(
        update_rule(BASE, "team", ImmutabilityRule(tags="v*", id=5)), rules_page(stored), OK
    )
    assert [r.method for r in sent] == ["GET", "PUT"]
    assert json.loads(sent[1].content)["disabled"] is False


def test_no_change_sends_no_put():
    _, sent = drive(update_rule(BASE, "team", STORED), rules_page(STORED))
    assert [r.method for r in sent] == ["GET"]


def test_update_needs_an_id_and_a_valid_rule():
    with pytest.raises(InvalidPolicyError, match="without an id"):
        drive(update_rule(BASE, "team", ImmutabilityRule()))
    with pytest.raises(InvalidPolicyError, match="unclosed"):
        drive(update_rule(BASE, "team", ImmutabilityRule(tags="{a", id=5)))


def test_updating_a_rule_the_project_does_not_have_sends_no_put():
    with pytest.raises(NotFoundError, match="no immutability rule 6") as info:
        drive(update_rule(BASE, "team", ImmutabilityRule(id=6)), rules_page(STORED))
    assert info.value.status_code == 404


@pytest.mark.parametrize(("disabled", "stored_disabled"), [(True, False), (False, True)])
def test_enable_and_disable_send_the_stored_rule_with_the_toggle(disabled, stored_disabled):
    stored = ImmutabilityRule(repositories="api", tags="v*", id=5, disabled=stored_disabled)
    _, sent = drive(set_rule_disabled(BASE, "team", 5, disabled), rules_page(stored), OK)
    body = json.loads(sent[1].content)
    assert body == rule_to_wire(
        ImmutabilityRule(repositories="api", tags="v*", id=5, disabled=disabled)
    )


def test_enable_when_enabled_sends_nothing():
    _, sent = drive(set_rule_disabled(BASE, "team", 5, False), rules_page(STORED))
    assert len(sent) == 1


def test_delete():
    _, sent = drive(delete_rule(BASE, "team", 5), OK)
    assert (sent[0].method, sent[0].url.path) == ("DELETE", f"{PREFIX}/5")


def test_harbor_errors_become_exceptions():
    error = httpx.Response(
        500, json={"errors": [{"code": "UNKNOWN", "message": "internal server error"}]}
    )
    with pytest.raises(ServerError):
        drive(delete_rule(BASE, "team", 5), error)


@pytest.mark.parametrize(
    ("repository", "expected"),
    [("team/api/server", True), ("api/server", True), ("team/web", False), ("web", False)],
)
def test_is_immutable_takes_the_repository_with_or_without_the_project(repository, expected):
    rules = rules_page(ImmutabilityRule(repositories="api/**"))
    result, _ = drive(rule_is_immutable(BASE, "team", repository, "v1"), rules)
    assert result is expected


def test_is_immutable_needs_a_repository_and_a_tag():
    with pytest.raises(ValueError, match="must not be empty"):
        drive(rule_is_immutable(BASE, "team", "api", ""))
