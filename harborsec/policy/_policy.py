r"""The policy model: the desired security state of one Harbor project, and its file formats.

A `Policy` names only what it manages: a field left as `None` is not looked at, not changed and
not reported. Policies are built in Python or loaded from YAML, TOML or JSON (the same keys in all
three); a file with an unknown key or a bad value is refused with an `InvalidPolicyError` whose
`location` says where, such as `policy.yaml:12 allowlist.items[2]` (YAML gives line numbers; JSON
and TOML give the key path).

Example:
    >>> from harborsec.policy import Policy
    >>> policy = Policy.loads("auto_scan: true\nseverity: High\n", format="yaml")
    >>> policy.auto_scan, policy.severity.value, policy.cosign_required
    (True, 'high', None)
    >>> policy.to_dict()
    {'auto_scan': True, 'severity': 'high'}
    >>> Policy.loads("auto_scna: true\n", format="yaml", source="p.yaml")
    Traceback (most recent call last):
    ...
    harborsec.errors.InvalidPolicyError: p.yaml:1 auto_scna: unknown key (did you mean auto_scan?)
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, NoReturn, Protocol, TypeVar

import attrs
import yaml

from harborsec.errors import InvalidPolicyError
from harborsec.harbor._allowlists import normalize_cve_ids
from harborsec.harbor._immutability import MAX_RULES, ImmutabilityRule
from harborsec.harbor._severity import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

P = TypeVar("P", covariant=True)
A = TypeVar("A")

__all__ = ["FORMATS", "SEMVER_TAGS", "Policy", "PolicyAllowlist", "SupportsPlan"]

FORMATS = ("yaml", "toml", "json")
"""The policy file formats, by name (`.yml` files are YAML)."""

SEMVER_TAGS = "{v[0-9]*.[0-9]*.[0-9]*,[0-9]*.[0-9]*.[0-9]*}"
"""Doublestar pattern for semantic-version tags, with or without a `v`: `v1.2.3`, `1.2.3`.

Doublestar cannot say "digits only", so pre-releases such as `1.2.3-rc.1` match too; `latest`,
branch names, `v1.2` and commit tags do not.
"""

CONFIG_FIELDS = (
    "public",
    "auto_scan",
    "auto_sbom_generation",
    "prevent_vulnerable",
    "severity",
    "cosign_required",
    "notation_required",
)
"""The `Policy` fields that are project configuration (`ProjectConfig` fields of the same name)."""
_BOOL_KEYS = tuple(k for k in CONFIG_FIELDS if k != "severity")
_TOP_KEYS = (*CONFIG_FIELDS, "allowlist", "immutability", "scanner")
_ALLOWLIST_KEYS = ("use_project_list", "expires_at", "items")
_RULE_KEYS = ("repositories", "tags", "exclude_repositories", "exclude_tags", "disabled")
_RULE_FLAGS = ("exclude_repositories", "exclude_tags", "disabled")
_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}

KeyPath = tuple[str | int, ...]
Where = Callable[[KeyPath], str]


# -- locations --------------------------------------------------------------------------------


def _format_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@attrs.frozen
class _Locator:
    """Turns a key path into a location: `source[:line] key.path`."""

    source: str | None = None
    lines: Mapping[KeyPath, int] | None = None

    def __call__(self, path: KeyPath) -> str:
        head = self.source or ""
        if self.lines is not None and head:
            for end in range(len(path), -1, -1):
                line = self.lines.get(path[:end])
                if line is not None:
                    head = f"{head}:{line}"
                    break
        key = _format_path(path)
        return " ".join(part for part in (head, key) if part) or "policy"


_IN_PYTHON = _Locator()


def _fail(where: Where, path: KeyPath, message: str) -> NoReturn:
    raise InvalidPolicyError(message, location=where(path))


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _show(value: object) -> str:
    """`repr(value)` for a message: short, and never failing.

    Python refuses to write an integer of more than 4300 digits in decimal.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"a {value.bit_length()}-bit integer"
    text = repr(value)
    return text if len(text) <= 200 else f"{text[:200]}..."


# -- value checks (shared by file loading and Python construction) ----------------------------


def _check_bool(value: object, path: KeyPath, where: Where) -> None:
    if value is not None and not isinstance(value, bool):
        _fail(where, path, f"expected true or false, got {_kind(value)} ({_show(value)})")


def _to_severity(value: Severity | str | None, path: KeyPath, where: Where) -> Severity | None:
    if value is None or isinstance(value, Severity):
        return value
    names = ", ".join(s.value for s in Severity)
    if not isinstance(value, str):
        _fail(where, path, f"expected a severity ({names}), got {_kind(value)} ({_show(value)})")
    try:
        return Severity.parse(value)
    except ValueError:
        _fail(where, path, f"unknown severity {_show(value)}: use one of {names}")


def _to_items(value: object, path: KeyPath, where: Where) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        _fail(where, path, f"expected a list of CVE ids, got {_kind(value)} ({_show(value)})")
    items: list[str] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(value):
        try:
            (item,) = normalize_cve_ids((entry,))
        except InvalidPolicyError as exc:
            _fail(where, (*path, index), _bare_message(exc))
        if item in seen:
            _fail(where, (*path, index), f"{item} is listed twice (also at index {seen[item]})")
        seen[item] = index
        items.append(item)
    return tuple(items)


def _to_expiry(value: object, path: KeyPath, where: Where) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (
                date.fromisoformat(text)
                if len(text) == 10
                else datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            )
        except ValueError:
            _fail(
                where, path, f"expected a date-time such as 2027-06-30T00:00:00Z, got {_show(text)}"
            )
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            _fail(
                where,
                path,
                f"{value.isoformat()} has no time zone: add one, such as Z for UTC",
            )
        try:
            return value.astimezone(timezone.utc).replace(microsecond=0)
        except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the first UTC date
            _fail(where, path, f"{value.isoformat()} is out of range")
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=timezone.utc)
    _fail(
        where,
        path,
        f"expected a date-time such as 2027-06-30T00:00:00Z, or null for never, got {_kind(value)}",
    )


def _rule_key(rule: ImmutabilityRule) -> tuple[str, str, bool, bool]:
    return (rule.repositories, rule.tags, rule.exclude_repositories, rule.exclude_tags)


def _check_rules(rules: tuple[object, ...], path: KeyPath, where: Where) -> None:
    if len(rules) > MAX_RULES:
        _fail(
            where,
            (*path, MAX_RULES),
            f"{len(rules)} immutability rules: Harbor allows at most {MAX_RULES} per project",
        )
    seen: dict[tuple[str, str, bool, bool], int] = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, ImmutabilityRule):
            _fail(where, (*path, index), f"expected an immutability rule, got {_kind(rule)}")
        try:
            rule.validate()
        except InvalidPolicyError as exc:
            _fail(where, (*path, index), _bare_message(exc))
        key = _rule_key(rule)
        if key in seen:
            _fail(
                where,
                (*path, index),
                f"the same rule as immutability[{seen[key]}] (Harbor refuses duplicates)",
            )
        seen[key] = index


def _bare_message(exc: InvalidPolicyError) -> str:
    text = str(exc)
    if exc.location and text.startswith(f"{exc.location}: "):
        return text[len(exc.location) + 2 :]
    return text


def _check_scanner(value: object, path: KeyPath, where: Where) -> None:
    if value is not None and (
        not isinstance(value, str) or not value.strip() or not value.isprintable()
    ):
        _fail(where, path, f"expected a scanner name or uuid, got {_kind(value)} ({_show(value)})")


# -- converters for Python construction ---------------------------------------------------------


def _convert_severity(value: Severity | str | None) -> Severity | None:
    return _to_severity(value, ("severity",), _IN_PYTHON)


def _convert_items(value: Iterable[str]) -> tuple[str, ...]:
    return _to_items(value, ("allowlist", "items"), _IN_PYTHON)


def _convert_expiry(value: datetime | date | str | None) -> datetime | None:
    return _to_expiry(value, ("allowlist", "expires_at"), _IN_PYTHON)


def _convert_rules(
    value: Iterable[ImmutabilityRule] | None,
) -> tuple[ImmutabilityRule, ...] | None:
    if value is None:
        return None
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        _fail(_IN_PYTHON, ("immutability",), f"expected a list of rules, got {_kind(value)}")
    return tuple(
        attrs.evolve(rule, id=None, priority=0) if isinstance(rule, ImmutabilityRule) else rule
        for rule in value
    )


# -- the model --------------------------------------------------------------------------------


@attrs.frozen
class PolicyAllowlist:
    """The project CVE allowlist a policy wants.

    The list is managed as a whole: CVE ids present in Harbor but not here are removed.

    Example:
        >>> PolicyAllowlist(items=["CVE-2024-3094"], expires_at="2027-06-30").expires_at
        datetime.datetime(2027, 6, 30, 0, 0, tzinfo=datetime.timezone.utc)
    """

    items: tuple[str, ...] = attrs.field(default=(), converter=_convert_items)
    """The CVE ids (in any order; each at most once)."""
    expires_at: datetime | None = attrs.field(default=None, converter=_convert_expiry)
    """When the list stops applying (aware, whole seconds, UTC); None for never.

    A date means midnight UTC; an ISO 8601 string is accepted in Python too."""
    use_project_list: bool = True
    """Use this list (Harbor's `reuse_sys_cve_allowlist: false`); False keeps the system list
    in force, and the project's own list is still set but ignored by Harbor."""

    def __attrs_post_init__(self) -> None:
        _check_bool(self.use_project_list, ("allowlist", "use_project_list"), _IN_PYTHON)
        if self.use_project_list is None:
            _fail(_IN_PYTHON, ("allowlist", "use_project_list"), "expected true or false")

    def to_dict(self) -> dict[str, Any]:
        """The allowlist as plain data (strings, booleans, lists), in the policy file's shape."""
        data: dict[str, Any] = {"use_project_list": self.use_project_list}
        if self.expires_at is not None:
            data["expires_at"] = _format_datetime(self.expires_at)
        data["items"] = list(self.items)
        return data


@attrs.frozen
class Policy:
    """The desired security state of one Harbor project; `None` means "do not manage".

    Build one in Python, load one from a file (`load`), or start from `recommended`. Then
    `plan` it against a project, read the diff and apply it.

    Example:
        >>> from harborsec.harbor import ImmutabilityRule
        >>> policy = Policy(prevent_vulnerable=True, severity="critical",
        ...                 immutability=[ImmutabilityRule(tags="release-*")])
        >>> policy.severity
        <Severity.CRITICAL: 'critical'>
        >>> Policy(immutability=[ImmutabilityRule(tags="v*")] * 2)
        Traceback (most recent call last):
        ...
        harborsec.errors.InvalidPolicyError: immutability[1]: the same rule as immutability[0] \
(Harbor refuses duplicates)
    """

    public: bool | None = None
    """Whether anyone may pull from the project (metadata `public`)."""
    auto_scan: bool | None = None
    """Scan images for vulnerabilities when they are pushed (`auto_scan`)."""
    auto_sbom_generation: bool | None = None
    """Generate an SBOM when images are pushed (`auto_sbom_generation`)."""
    prevent_vulnerable: bool | None = None
    """Block pulls of images with vulnerabilities at or above `severity` (`prevent_vul`)."""
    severity: Severity | None = attrs.field(default=None, converter=_convert_severity)
    """The threshold for `prevent_vulnerable` (a `Severity`, or its name in any case)."""
    cosign_required: bool | None = None
    """Only pull images with a cosign signature (`enable_content_trust_cosign`).

    Harbor checks that a signature exists, not that it verifies."""
    notation_required: bool | None = None
    """Only pull images with a Notation signature (`enable_content_trust`)."""
    allowlist: PolicyAllowlist | None = None
    """The project's CVE allowlist and whether it is in force."""
    immutability: tuple[ImmutabilityRule, ...] | None = attrs.field(
        default=None, converter=_convert_rules
    )
    """The complete set of tag immutability rules: rules in Harbor that are not listed are
    deleted; `()` deletes them all. Rule ids and priorities are ignored (Harbor assigns ids, and
    its matcher ignores priority). At most 15 rules, no two alike."""
    scanner: str | None = None
    """The project's scanner, by registration name or uuid."""

    def __attrs_post_init__(self) -> None:
        _check(self, _IN_PYTHON)

    # -- loading ----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Policy:
        """Read a policy file: YAML (`.yaml`, `.yml`), TOML (`.toml`) or JSON (`.json`).

        Args:
            path: The file; its suffix gives the format.

        Raises:
            InvalidPolicyError: The file is not UTF-8, does not parse, or has an unknown key or
                a bad value; `location` is `path:line key.path` for YAML, `path key.path`
                otherwise.
            OSError: The file cannot be read.
        """
        file = Path(path)
        fmt = _SUFFIXES.get(file.suffix.lower())
        if fmt is None:
            raise InvalidPolicyError(
                f"unknown policy file type {file.suffix or '(no suffix)'!r}: "
                "use .yaml, .yml, .toml or .json",
                location=str(path),
            )
        data = file.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise InvalidPolicyError(
                f"not UTF-8 text: byte {data[exc.start]:#04x} at offset {exc.start}",
                location=f"{path}:{line}",
            ) from None
        return cls.loads(text, format=fmt, source=str(path))

    @classmethod
    def loads(cls, text: str, *, format: str, source: str = "<string>") -> Policy:
        """Parse a policy from text.

        Args:
            text: The policy document.
            format: `yaml` (or `yml`), `toml` or `json`, in any case.
            source: The name used in error locations (a file name).

        Raises:
            InvalidPolicyError: The text does not parse, or has an unknown key or a bad value.
                Whatever the parser trips on (a date such as `2027-02-30`, an integer of
                thousands of digits, nesting deeper than Python's stack, a character YAML does
                not allow) is this error too, with a line where the parser gives one.
            ValueError: `format` is not one of `FORMATS`.
        """
        fmt = format.lower()
        if fmt == "yml":
            fmt = "yaml"
        if fmt == "yaml":
            data, lines = _read_yaml(text, source)
            return _from_data(data, _Locator(source, lines))
        if fmt == "json":
            return _from_data(_read_json(text, source), _Locator(source))
        if fmt == "toml":
            return _from_data(_read_toml(text, source), _Locator(source))
        raise ValueError(f"unknown policy format {format!r}: use yaml, toml or json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Policy:
        """Build a policy from plain data (the shape of a policy file).

        Args:
            data: The keys and values of a policy file.
            source: The name used in error locations.

        Raises:
            InvalidPolicyError: An unknown key or a bad value.
        """
        return _from_data(data, _Locator(source))

    @classmethod
    def recommended(cls) -> Policy:
        """Harbor best practice for a project of released images.

        Scan on push, generate SBOMs on push, block pulls of images with high or critical
        vulnerabilities (and of images not scanned yet), require cosign signatures, and make
        semantic-version tags (`v1.2.3`, `1.2.3`; see `SEMVER_TAGS`) immutable in every
        repository. Visibility, Notation, the allowlist and the scanner are left alone.

        Example:
            >>> print(Policy.recommended().dumps("yaml"), end="")
            auto_scan: true
            auto_sbom_generation: true
            prevent_vulnerable: true
            severity: high
            cosign_required: true
            immutability:
            - repositories: '**'
              tags: '{v[0-9]*.[0-9]*.[0-9]*,[0-9]*.[0-9]*.[0-9]*}'
        """
        return cls(
            auto_scan=True,
            auto_sbom_generation=True,
            prevent_vulnerable=True,
            severity=Severity.HIGH,
            cosign_required=True,
            immutability=(ImmutabilityRule(repositories="**", tags=SEMVER_TAGS),),
        )

    # -- output -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data in the file's shape; unmanaged (None) settings are left out.

        `Policy.from_dict(policy.to_dict()) == policy` always holds.
        """
        data: dict[str, Any] = {}
        for key in _TOP_KEYS:
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(value, Severity):
                data[key] = value.value
            elif isinstance(value, PolicyAllowlist):
                data[key] = value.to_dict()
            elif key == "immutability":
                data[key] = [_rule_to_dict(rule) for rule in value]
            else:
                data[key] = value
        return data

    def dumps(self, format: str = "yaml") -> str:
        """The policy as a YAML, TOML or JSON document.

        `loads` reads it back as an equal policy.

        Args:
            format: `yaml` (or `yml`), `toml` or `json`.
        """
        fmt = format.lower()
        data = self.to_dict()
        if fmt in ("yaml", "yml"):
            return str(
                yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
            )
        if fmt == "json":
            return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if fmt == "toml":
            return _dump_toml(data)
        raise ValueError(f"unknown policy format {format!r}: use yaml, toml or json")

    # -- planning ---------------------------------------------------------------------------

    def plan(self, project: SupportsPlan[P]) -> P:
        """Compare this policy with a project: the changes that would make the project match.

        Reads what the policy manages, and changes nothing: the same as `project.plan(policy)`.
        With an `AsyncProject` this returns an awaitable of an `AsyncPlan`, as `aplan` does.

        Args:
            project: The project, from `registry.project(name)`.

        Returns:
            The plan: `changes`, `diff()` to show them, `apply()` to make them.

        Raises:
            InvalidPolicyError: The policy names a scanner the project cannot use.
            APIError: Harbor refused a read (such as `NotFoundError` for a missing project).
        """
        return project.plan(self)

    async def aplan(self, project: SupportsPlan[Awaitable[A]]) -> A:
        """Async form of `plan`, for an `AsyncProject`: `await project.plan(policy)` is the same."""
        return await project.plan(self)


class SupportsPlan(Protocol[P]):
    """A project that plans a policy (`Project` gives a `Plan`, `AsyncProject` an awaitable)."""

    def plan(self, policy: Policy, /) -> P:
        """Compare the project with `policy`."""
        ...


def _check(policy: Policy, where: Where) -> None:
    for key in _BOOL_KEYS:
        _check_bool(getattr(policy, key), (key,), where)
    if policy.allowlist is not None and not isinstance(policy.allowlist, PolicyAllowlist):
        _fail(where, ("allowlist",), f"expected a PolicyAllowlist, got {_kind(policy.allowlist)}")
    if policy.immutability is not None:
        _check_rules(policy.immutability, ("immutability",), where)
    _check_scanner(policy.scanner, ("scanner",), where)


def _format_datetime(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rule_to_dict(rule: ImmutabilityRule) -> dict[str, Any]:
    data: dict[str, Any] = {"repositories": rule.repositories, "tags": rule.tags}
    for flag in _RULE_FLAGS:
        if getattr(rule, flag):
            data[flag] = True
    return data


# -- plain data -> Policy, with locations -----------------------------------------------------


def _mapping(
    value: object, path: KeyPath, where: Where, allowed: tuple[str, ...]
) -> Mapping[str, Any]:
    if value is None and not path:
        _fail(where, path, "the policy is empty: expected a mapping of settings")
    if not isinstance(value, Mapping):
        what = "the policy" if not path else _format_path(path)
        _fail(where, path, f"expected a mapping for {what}, got {_kind(value)}")
    duplicates = getattr(value, "duplicates", ())
    if duplicates:
        _fail(where, (*path, duplicates[0]), "key given twice")
    for key in value:
        if not isinstance(key, str):
            _fail(where, path, f"keys must be strings, got {_show(key)}")
        if key not in allowed:
            close = [k for k in allowed if k.startswith(key)] if len(key) >= 3 else []
            close = close or difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(allowed)})"
            _fail(where, (*path, key), f"unknown key{hint}")
    return value


def _from_data(data: object, where: Where) -> Policy:
    mapping = _mapping(data, (), where, _TOP_KEYS)
    kwargs: dict[str, Any] = {}
    for key in _BOOL_KEYS:
        if key in mapping:
            _check_bool(mapping[key], (key,), where)
            kwargs[key] = mapping[key]
    if "severity" in mapping:
        kwargs["severity"] = _to_severity(mapping["severity"], ("severity",), where)
    if mapping.get("allowlist") is not None:
        kwargs["allowlist"] = _allowlist_from_data(mapping["allowlist"], where)
    if mapping.get("immutability") is not None:
        kwargs["immutability"] = _rules_from_data(mapping["immutability"], where)
    if "scanner" in mapping:
        _check_scanner(mapping["scanner"], ("scanner",), where)
        kwargs["scanner"] = mapping["scanner"]
    return Policy(**kwargs)


def _allowlist_from_data(value: object, where: Where) -> PolicyAllowlist:
    path: KeyPath = ("allowlist",)
    mapping = _mapping(value, path, where, _ALLOWLIST_KEYS)
    use = mapping.get("use_project_list", True)
    _check_bool(use, (*path, "use_project_list"), where)
    return PolicyAllowlist(
        items=_to_items(mapping.get("items", ()), (*path, "items"), where),
        expires_at=_to_expiry(mapping.get("expires_at"), (*path, "expires_at"), where),
        use_project_list=True if use is None else use,
    )


def _rules_from_data(value: object, where: Where) -> tuple[ImmutabilityRule, ...]:
    path: KeyPath = ("immutability",)
    if not isinstance(value, list | tuple):
        _fail(where, path, f"expected a list of rules, got {_kind(value)}")
    rules = []
    for index, item in enumerate(value):
        rule_path = (*path, index)
        mapping = _mapping(item, rule_path, where, _RULE_KEYS)
        fields: dict[str, Any] = {}
        for key in ("repositories", "tags"):
            pattern = mapping.get(key, "**")
            if not isinstance(pattern, str) or not pattern:
                _fail(
                    where,
                    (*rule_path, key),
                    f"expected a doublestar pattern such as '**' or 'v*', got {_kind(pattern)}"
                    f" ({_show(pattern)})",
                )
            fields[key] = pattern
        for key in _RULE_FLAGS:
            flag = mapping.get(key, False)
            _check_bool(flag, (*rule_path, key), where)
            fields[key] = bool(flag)
        rule = ImmutabilityRule(**fields)
        try:
            rule.validate()
        except InvalidPolicyError as exc:
            _fail(where, rule_path, _bare_message(exc))
        rules.append(rule)
    result = tuple(rules)
    _check_rules(result, path, where)
    return result


# -- readers ------------------------------------------------------------------------------------


class _Dict(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once."""

    duplicates: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> _Dict:
    result = _Dict()
    duplicates = []
    for key, value in pairs:
        if key in result:
            duplicates.append(key)
        result[key] = value
    result.duplicates = tuple(duplicates)
    return result


def _parser_problem(exc: BaseException) -> str:
    """What a parser's own exception (not its syntax error type) says about the text."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    message = str(exc)
    if "integer string conversion" in message:
        # Python's limit on int(str) (3.11+, 3.10.7+): 4300 digits unless the program changed it
        limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
        return f"a number with more than {limit} digits"
    return message or type(exc).__name__


_PARSER_ERRORS = (ValueError, IndexError, KeyError, TypeError, AttributeError, RecursionError)
"""What the parsers raise besides their syntax errors, on text that is not a policy: an invalid
date (`2027-02-30`), an integer past Python's digit limit, nesting deeper than the stack."""


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, max(position, 0)) + 1


def _read_json(text: str, source: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        raise InvalidPolicyError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", location=f"{source}:{exc.lineno}"
        ) from None
    except _PARSER_ERRORS as exc:
        raise InvalidPolicyError(
            f"not valid JSON: {_parser_problem(exc)}", location=source
        ) from None


def _read_toml(text: str, source: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = getattr(exc, "lineno", None)
        found = re.search(r"\(at line ([0-9]+), column [0-9]+\)", message)
        if line is None and found:
            line = int(found.group(1))
        message = getattr(exc, "msg", None) or message
        location = f"{source}:{line}" if line else source
        raise InvalidPolicyError(f"not valid TOML: {message}", location=location) from None
    except _PARSER_ERRORS as exc:
        raise InvalidPolicyError(
            f"not valid TOML: {_parser_problem(exc)}", location=source
        ) from None


_MERGE_TAG = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_MAX_YAML_NODES = 100_000
"""The most values a YAML policy may expand to, aliases included (a policy has a few hundred;
a "billion laughs" document of nested aliases would otherwise expand without end)."""


def _read_yaml(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML into plain data, with the line of every key path (1-based)."""
    try:
        return _read_yaml_nodes(text, source)
    except InvalidPolicyError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = exc.problem or exc.context or "syntax error"
        raise InvalidPolicyError(f"not valid YAML: {problem}", location=where) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, anywhere
        raise InvalidPolicyError(
            f"not valid YAML: character U+{exc.character:04X} is not allowed",
            location=f"{source}:{_line_at(text, exc.position)}",
        ) from None
    except yaml.YAMLError as exc:
        raise InvalidPolicyError(f"not valid YAML: {exc}", location=source) from None
    except _PARSER_ERRORS as exc:
        raise InvalidPolicyError(
            f"not valid YAML: {_parser_problem(exc)}", location=source
        ) from None


def _read_yaml_nodes(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if node is None:
            return None, lines

        open_nodes: set[int] = set()  # the collections being converted: a recursive alias
        count = 0

        def construct(node: yaml.Node, line: int) -> Any:
            """A scalar's value; any failure of PyYAML's constructors is the file's fault."""
            try:
                return loader.construct_object(node, deep=True)
            except InvalidPolicyError:
                raise
            except (yaml.YAMLError, *_PARSER_ERRORS) as exc:
                if isinstance(exc, ValueError | RecursionError | yaml.YAMLError):
                    problem = _parser_problem(exc)
                else:  # PyYAML's constructors fail this way on some values (!!float '')
                    tag = str(node.tag).rpartition(":")[2]
                    problem = f"not a {tag}: {_show(node.value)}"
                raise InvalidPolicyError(
                    f"not a valid YAML value: {problem}", location=f"{source}:{line}"
                ) from None

        def convert(node: yaml.Node, path: KeyPath) -> Any:
            nonlocal count
            count += 1
            line = node.start_mark.line + 1
            lines.setdefault(path, line)
            if count > _MAX_YAML_NODES:
                raise InvalidPolicyError(
                    f"more than {_MAX_YAML_NODES} values (aliases expanded)",
                    location=f"{source}:{line}",
                )
            if isinstance(node, yaml.CollectionNode):
                if node.tag not in _COLLECTION_TAGS:
                    raise InvalidPolicyError(
                        f"not a valid YAML value: tag {node.tag!r} is not supported in policies",
                        location=f"{source}:{line}",
                    )
                if id(node) in open_nodes:
                    raise InvalidPolicyError(
                        "a YAML alias that contains itself",
                        location=f"{source}:{lines[path]}",
                    )
                open_nodes.add(id(node))
                try:
                    return convert_collection(node, path)
                finally:
                    open_nodes.discard(id(node))
            return construct(node, lines[path])

        def convert_collection(node: yaml.Node, path: KeyPath) -> Any:
            if isinstance(node, yaml.MappingNode):
                result = _Dict()
                duplicates = []
                for key_node, value_node in node.value:
                    line = key_node.start_mark.line + 1
                    if key_node.tag == _MERGE_TAG:
                        raise InvalidPolicyError(
                            "YAML merge keys (<<) are not supported in policies",
                            location=f"{source}:{line}",
                        )
                    if not isinstance(key_node, yaml.ScalarNode):
                        raise InvalidPolicyError(
                            "keys must be strings, got a YAML collection",
                            location=f"{source}:{line}",
                        )
                    key = construct(key_node, line)
                    if not isinstance(key, str):
                        raise InvalidPolicyError(
                            f"keys must be strings, got {_show(key)}", location=f"{source}:{line}"
                        )
                    key_path: KeyPath = (*path, key)
                    lines[key_path] = line
                    if key in result:
                        duplicates.append(key)
                    result[key] = convert(value_node, key_path)
                result.duplicates = tuple(duplicates)
                return result
            return [convert(item, (*path, i)) for i, item in enumerate(node.value)]

        return convert(node, ()), lines
    finally:
        loader.dispose()


# -- TOML output ------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")  # pragma: no cover - to_dict's types


def _dump_toml(data: Mapping[str, Any]) -> str:
    head: list[str] = []
    tables: list[str] = []
    for key, value in data.items():
        if key == "allowlist":
            tables.append("\n[allowlist]")
            tables.extend(
                # a TOML offset date-time, not a string
                f"{k} = {v if k == 'expires_at' else _toml_value(v)}"
                for k, v in value.items()
            )
        elif key == "immutability" and value:
            for rule in value:
                tables.append("\n[[immutability]]")
                tables.extend(f"{k} = {_toml_value(v)}" for k, v in rule.items())
        else:
            head.append(f"{key} = {_toml_value(value)}")
    return "\n".join([*head, *tables]).lstrip("\n") + "\n"
