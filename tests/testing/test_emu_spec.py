"""The spec validator of `tests/_spec.py` must catch what it claims to catch."""

from __future__ import annotations

import pytest

from tests._spec import (
    documented_statuses,
    validate_definition,
    validate_request_body,
    validate_response,
)

GOOD_INFO = {"auth_mode": "db_auth", "harbor_version": "v2.14.4-79a297f7"}


def test_valid_bodies_pass() -> None:
    validate_response("GET", "/systeminfo", 200, GOOD_INFO)
    validate_response("GET", "/api/v2.0/systeminfo", 200, GOOD_INFO)
    validate_response("GET", "/ping", 200, "Pong")
    validate_request_body(
        "POST", "/projects", {"project_name": "demo", "metadata": {"public": "true"}}
    )
    validate_definition("Errors", {"errors": [{"code": "NOT_FOUND", "message": "x"}]})


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"harbor_version": 2}, "is not of type 'string'"),
        ({"current_time": "yesterday"}, "is not a 'date-time'"),
        ({"surprise": True}, "'surprise' was unexpected"),
        ({"authproxy_settings": {"endpoint": 1}}, "is not of type 'string'"),
        ([], "is not of type 'object'"),
    ],
)
def test_invalid_bodies_fail_with_a_readable_message(body: object, complaint: str) -> None:
    with pytest.raises(AssertionError, match="GET /systeminfo 200 response body") as info:
        validate_response("GET", "/systeminfo", 200, body)
    assert complaint in str(info.value)


def test_x_nullable_allows_null_and_only_there() -> None:
    validate_response(
        "GET", "/systeminfo", 200, {"harbor_version": None, "authproxy_settings": None}
    )
    with pytest.raises(AssertionError, match="None is not of type 'string'"):
        validate_response("GET", "/health", 200, {"status": None})


def test_strict_mode_can_be_turned_off() -> None:
    validate_response("GET", "/systeminfo", 200, {"surprise": True}, strict=False)
    with pytest.raises(AssertionError):
        validate_response("GET", "/systeminfo", 200, {"harbor_version": 2}, strict=False)


def test_undocumented_operations_and_statuses() -> None:
    with pytest.raises(AssertionError, match="not a path"):
        validate_response("GET", "/no/such/path", 200, {})
    with pytest.raises(AssertionError, match="not in the spec"):
        validate_response("DELETE", "/systeminfo", 200, {})
    with pytest.raises(AssertionError, match="status 404 is not documented"):
        validate_response("GET", "/systeminfo", 404, {})
    assert documented_statuses("GET", "/users/current/permissions") == ["200", "401", "500"]


def test_request_bodies() -> None:
    with pytest.raises(AssertionError, match="the body is required"):
        validate_request_body("POST", "/projects", None)
    with pytest.raises(AssertionError, match="no body"):
        validate_request_body("GET", "/systeminfo", {"x": 1})
    with pytest.raises(AssertionError, match="project_name"):
        validate_request_body("POST", "/projects", {"project_name": 7})


def test_referenced_error_responses() -> None:
    validate_response("GET", "/users/current/permissions", 401, {"errors": []})
    with pytest.raises(AssertionError, match="Additional properties"):
        validate_response(
            "GET",
            "/users/current/permissions",
            401,
            {"errors": [{"code": "X", "message": "m", "detail": 1}]},
        )
    with pytest.raises(AssertionError, match="not a definition"):
        validate_definition("NoSuchThing", {})


def test_head_answers_have_no_body() -> None:
    validate_response("HEAD", "/projects", 404, None)
    validate_response("HEAD", "/projects", 200, None)
    with pytest.raises(AssertionError, match="not of type 'object'"):
        validate_response("GET", "/projects/{project_name_or_id}", 404, None)
    with pytest.raises(AssertionError, match="status 401 is not documented"):
        validate_response("HEAD", "/projects", 401, None)
