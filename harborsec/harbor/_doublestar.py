r"""The glob matcher Harbor's tag immutability (and retention) rules use.

Harbor evaluates rule patterns with `github.com/bmatcuk/doublestar` **v1.1.1**, whose semantics
differ from later versions and from shell globs in ways that matter for rules. This module is an
independent implementation of those semantics, byte for byte (names and patterns are read as
UTF-8, like Go strings):

* names and patterns are split into components on `/`; a trailing `/` is dropped;
* `**` is special only as a whole component: it matches zero or more components, except at the
  end of a pattern, where it needs at least one (`a/**` matches `a/b` but not `a`);
* `*` matches any run of characters within a component; `?` one character;
* `[abc]`, `[a-z]` and `[^a-z]` are character classes (`^` negates; `!` does not);
* `{a,b,c}` are alternatives. They cannot contain `/` (the pattern is split on `/` first) and do
  not nest (the first `}` closes them);
* `\` escapes the next character;
* an empty pattern matches every name (Harbor's selector checks this before calling doublestar).

A malformed pattern (`v[0-9`, `{a,b`, a trailing `\`) only fails when matching reaches the bad
part, which Harbor turns into a 500 on every push to the project. Check patterns before saving a
rule with [`validate_pattern`][harborsec.harbor.validate_pattern].

Example:
    >>> doublestar_match("{v*,release-*}", "v1.2.3")
    True
    >>> doublestar_match("api/**", "api/server/v2")
    True
    >>> doublestar_match("api/**", "api")
    False
    >>> doublestar_match("*", "api/server")
    False
"""

from __future__ import annotations

from harborsec.errors import InvalidPolicyError

__all__ = ["doublestar_match", "validate_pattern"]

_RUNE_ERROR = 0xFFFD
_BACKSLASH = ord("\\")
_SLASH = ord("/")
_COMMA = ord(",")
_STAR = ord("*")
_QUESTION = ord("?")
_OPEN_CLASS = ord("[")
_CLOSE_CLASS = ord("]")
_OPEN_ALT = ord("{")
_CLOSE_ALT = ord("}")
_CARET = ord("^")
_DASH = ord("-")


class _BadPattern(Exception):
    """Go's `ErrBadPattern`, raised where doublestar would return it."""


def _decode_rune(data: bytes, index: int) -> tuple[int, int]:
    """Go's `utf8.DecodeRuneInString(data[index:])`: (rune, width); (U+FFFD, 0) at the end."""
    if index >= len(data):
        return _RUNE_ERROR, 0
    lead = data[index]
    if lead < 0x80:
        return lead, 1
    if 0xC2 <= lead <= 0xDF:
        width = 2
    elif 0xE0 <= lead <= 0xEF:
        width = 3
    elif 0xF0 <= lead <= 0xF4:
        width = 4
    else:
        return _RUNE_ERROR, 1
    try:
        text = data[index : index + width].decode("utf-8")
    except UnicodeDecodeError:
        return _RUNE_ERROR, 1
    return ord(text), width


def _runes(data: bytes) -> list[int]:
    """Go's `[]rune(string)`: every invalid byte becomes one U+FFFD."""
    runes: list[int] = []
    index = 0
    while index < len(data):
        rune, width = _decode_rune(data, index)
        runes.append(rune)
        index += width
    return runes


def _index_unescaped(data: bytes, byte: int) -> int:
    """The first index of `byte` not preceded by a backslash (doublestar's own notion), or -1."""
    end = data.find(byte)
    if end == -1:
        return -1
    if end > 0 and data[end - 1] == _BACKSLASH:
        start = end + 1
        rest = _index_unescaped(data[start:], byte)
        return rest + start if rest != -1 else -1
    return end


def _split(data: bytes, separator: int) -> list[bytes]:
    """Split on `separator`, respecting escapes; a trailing separator adds no empty part."""
    if data.find(separator) == -1:
        return [data]
    parts: list[bytes] = []
    start = 0
    while start < len(data):
        end = _index_unescaped(data[start:], separator)
        end = len(data) if end == -1 else end + start
        parts.append(data[start:end])
        start = end + 1
    return parts


def _match_components(patterns: list[bytes], names: list[bytes]) -> bool:
    if not patterns and not names:
        return True
    if not patterns or not names:
        return False
    pattern_index = name_index = 0
    while pattern_index < len(patterns) and name_index < len(names):
        if patterns[pattern_index] == b"**":
            pattern_index += 1
            if pattern_index >= len(patterns):
                return True
            for start in range(name_index, len(names)):
                try:
                    if _match_components(patterns[pattern_index:], names[start:]):
                        return True
                except _BadPattern:  # doublestar ignores errors while backtracking
                    pass
            return False
        if not _match_component(patterns[pattern_index], names[name_index]):
            return False
        pattern_index += 1
        name_index += 1
    return pattern_index >= len(patterns) and name_index >= len(names)


def _class_matches(runes: list[int], rune: int) -> bool:
    """Whether `rune` is in the class `[runes]`; raises `_BadPattern` like doublestar."""
    if not runes:
        raise _BadPattern
    index = 1 if runes[0] == _CARET else 0
    matched = False
    while index < len(runes):
        low = runes[index]
        if low == _DASH:
            raise _BadPattern
        index += 1
        if low == _BACKSLASH:
            if index >= len(runes):
                raise _BadPattern
            low = runes[index]
            index += 1
        high = low
        if index < len(runes) and runes[index] == _DASH:
            index += 1
            if index >= len(runes):
                raise _BadPattern
            high = runes[index]
            if high == _DASH:
                raise _BadPattern
            index += 1
            if high == _BACKSLASH:
                if index >= len(runes):
                    raise _BadPattern
                high = runes[index]
                index += 1
        if low <= rune <= high:
            matched = True
    return matched != (runes[0] == _CARET)


def _match_component(pattern: bytes, name: bytes) -> bool:
    if not pattern:
        return not name
    if not name and pattern != b"*":
        return False
    pattern_index = name_index = 0
    while pattern_index < len(pattern) and name_index < len(name):
        pattern_rune, pattern_width = _decode_rune(pattern, pattern_index)
        name_rune, name_width = _decode_rune(name, name_index)
        if pattern_rune == _BACKSLASH:
            pattern_index += pattern_width
            pattern_rune, pattern_width = _decode_rune(pattern, pattern_index)
            if pattern_rune == _RUNE_ERROR:
                raise _BadPattern
            if pattern_rune != name_rune:
                return False
            pattern_index += pattern_width
            name_index += name_width
        elif pattern_rune == _STAR:
            pattern_index += pattern_width
            if pattern_index >= len(pattern):
                return True
            # doublestar steps by the width of the rune under the star, and never tries the
            # empty rest of the name.
            for start in range(name_index, len(name), name_width):
                try:
                    if _match_component(pattern[pattern_index:], name[start:]):
                        return True
                except _BadPattern:
                    pass
            return False
        elif pattern_rune == _OPEN_CLASS:
            pattern_index += pattern_width
            end = _index_unescaped(pattern[pattern_index:], _CLOSE_CLASS)
            if end == -1:
                raise _BadPattern
            end += pattern_index
            if not _class_matches(_runes(pattern[pattern_index:end]), name_rune):
                return False
            pattern_index = end + 1
            name_index += name_width
        elif pattern_rune == _OPEN_ALT:
            pattern_index += pattern_width
            end = _index_unescaped(pattern[pattern_index:], _CLOSE_ALT)
            if end == -1:
                raise _BadPattern
            end += pattern_index
            rest = pattern[end + 1 :]
            for option in _split(pattern[pattern_index:end], _COMMA):
                if _match_component(option + rest, name[name_index:]):
                    return True
            return False
        elif pattern_rune in (_QUESTION, name_rune):
            pattern_index += pattern_width
            name_index += name_width
        else:
            return False
    if pattern_index >= len(pattern) and name_index >= len(name):
        return True
    rest = pattern[pattern_index:]
    return (name_index >= len(name) and rest == b"*") or rest == b"**"


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def doublestar_match(pattern: str, name: str) -> bool:
    """Whether `name` matches `pattern`, exactly as Harbor's rule selectors decide.

    Args:
        pattern: A doublestar (v1.1.1) pattern; empty matches everything.
        name: A repository name (without its project) or a tag.

    Returns:
        Whether the name matches.

    Raises:
        InvalidPolicyError: Matching reached a malformed part of the pattern (where Harbor
            fails the push with a 500).

    Example:
        >>> doublestar_match("v[0-9]*.[0-9]*.[0-9]*", "v1.20.3")
        True
        >>> doublestar_match("team/{api,web}", "team/db")
        False
    """
    if not pattern:
        return True
    try:
        return _match_components(_split(_encode(pattern), _SLASH), _split(_encode(name), _SLASH))
    except _BadPattern:
        raise InvalidPolicyError(
            f"malformed pattern {pattern!r} (Harbor fails every push it evaluates it for)"
        ) from None


def _check_class(runes: list[int], where: str) -> None:
    if not runes or runes == [_CARET]:
        raise InvalidPolicyError(f"empty character class in {where}")
    try:
        _class_matches(runes, 0)
    except _BadPattern:
        raise InvalidPolicyError(
            f"bad character class in {where}: write ranges as a-z, escape - and ] with \\"
        ) from None


def _check_component(component: bytes, where: str, *, in_alternative: bool = False) -> None:
    index = 0
    while index < len(component):
        rune, width = _decode_rune(component, index)
        if rune == _BACKSLASH:
            index += width
            rune, width = _decode_rune(component, index)
            if rune == _RUNE_ERROR:
                raise InvalidPolicyError(f"a backslash must be followed by a character in {where}")
            index += width
        elif rune == _OPEN_CLASS:
            index += width
            end = _index_unescaped(component[index:], _CLOSE_CLASS)
            if end == -1:
                raise InvalidPolicyError(f"unclosed '[' in {where}")
            _check_class(_runes(component[index : index + end]), where)
            index += end + 1
        elif rune == _OPEN_ALT:
            if in_alternative:
                raise InvalidPolicyError(
                    f"nested '{{' in {where}: Harbor's matcher (doublestar v1) does not nest "
                    "alternatives; list every option in one {a,b,c}"
                )
            index += width
            end = _index_unescaped(component[index:], _CLOSE_ALT)
            if end == -1:
                raise InvalidPolicyError(f"unclosed '{{' in {where}")
            options = component[index : index + end]
            if _index_unescaped(options, _OPEN_ALT) != -1:
                raise InvalidPolicyError(
                    f"nested '{{' in {where}: Harbor's matcher (doublestar v1) does not nest "
                    "alternatives; list every option in one {a,b,c}"
                )
            rest = component[index + end + 1 :]
            for option in _split(options, _COMMA):
                _check_component(option, where, in_alternative=True)
            _check_component(rest, where)
            return
        else:
            index += width


def validate_pattern(pattern: str, *, what: str = "pattern") -> None:
    """Check that a pattern is well formed for Harbor's matcher; raise if not.

    Stricter than Harbor, which saves any pattern and fails later: this refuses an empty
    pattern (Harbor reads it as "everything"; write `**`), unclosed `[` or `{`, empty or
    malformed character classes, a trailing backslash, nested `{...}`, and `/` inside
    `{...}` (which doublestar v1 splits apart).

    Args:
        pattern: The pattern.
        what: How to name it in the error message (such as `tag pattern`).

    Raises:
        InvalidPolicyError: The pattern is not valid; the message says why.

    Example:
        >>> validate_pattern("{a,b}/c")
        >>> validate_pattern("v[0-9")
        Traceback (most recent call last):
        ...
        harborsec.errors.InvalidPolicyError: unclosed '[' in pattern 'v[0-9'
    """
    where = f"{what} {pattern!r}"
    if not pattern:
        raise InvalidPolicyError(f"empty {what}: write ** to match everything")
    if "\x00" in pattern:
        raise InvalidPolicyError(f"NUL character in {where}")
    encoded = _encode(pattern)
    components = _split(encoded, _SLASH)
    for component in components:
        try:
            _check_component(component, where)
        except InvalidPolicyError as exc:
            if "unclosed '{'" in str(exc) and b"}" in encoded:
                raise InvalidPolicyError(
                    f"'/' inside '{{...}}' in {where}: Harbor's matcher (doublestar v1) splits "
                    "patterns on '/' first; write one rule per alternative, or move the '/' "
                    "outside the braces"
                ) from None
            raise
