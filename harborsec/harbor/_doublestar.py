r"""The glob matcher Harbor's tag immutability (and retention) rules use.

Harbor evaluates rule patterns with `github.com/bmatcuk/doublestar` **v1.3.4** (since Harbor
2.11; v1.1.1 before), whose semantics differ from later versions and from shell globs in ways
that matter for rules. This module is an independent implementation of those semantics, byte
for byte (names and patterns are read as UTF-8, like Go strings):

* names are split into components on `/` (a trailing `/` makes an empty last component);
* `**` is special only as a whole component: it matches zero or more components, except at the
  end of a pattern, where it needs at least one (`a/**` matches `a/b` but not `a`);
* `*` matches any run of characters within a component; `?` one character;
* `[abc]`, `[a-z]` and `[^a-z]` are character classes (`^` negates; `!` does not);
* `{a,b,c}` are alternatives; they nest and may contain `/` (`{api,web/*}`);
* `\` escapes the next character;
* an empty pattern matches every name (Harbor's selector checks this before calling doublestar).

A malformed pattern (`v[0-9`, `{a,b`, a trailing `\`) only fails when matching reaches the bad
part; Harbor then treats the tag as not immutable and skips the rules after it. Check patterns
before saving a rule with `validate_pattern`.

Example:
    >>> doublestar_match("{v*,release-*}", "v1.2.3")
    True
    >>> doublestar_match("api/**", "api/server/v2")
    True
    >>> doublestar_match("api/**", "api")
    False
    >>> doublestar_match("*", "api/server")
    False
    >>> doublestar_match("{api,web/*}", "web/front")
    True
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
    """The first index of `byte` not right after a backslash (doublestar's own notion), or -1.

    Doublestar looks only at the byte before, so an escaped backslash still escapes.
    """
    start = 0
    while True:
        end = data.find(byte, start)
        if end <= 0 or data[end - 1] != _BACKSLASH:
            return end
        start = end + 1


def _split_name(data: bytes) -> list[bytes]:
    """Split a name on `/`, respecting escapes; a trailing `/` adds an empty component."""
    if data.find(_SLASH) == -1:
        return [data]
    parts: list[bytes] = []
    start = 0
    ends_with_separator = False
    while start < len(data):
        end = _index_unescaped(data[start:], _SLASH)
        if end == -1:
            ends_with_separator = False
            end = len(data)
        else:
            ends_with_separator = True
            end += start
        parts.append(data[start:end])
        start = end + 1
    if ends_with_separator:
        parts.append(b"")
    return parts


def _split_alternatives(data: bytes) -> tuple[list[bytes], int]:
    """The options of `{...}` (`data` starts after the `{`) and the index after its `}`.

    Nested braces and escapes are respected; (`[]`, -1) when the braces are not closed.
    """
    options: list[bytes] = []
    index = start = 0
    depth = 1
    escaped = False
    while depth > 0:
        if index >= len(data):
            return [], -1
        rune, width = _decode_rune(data, index)
        if escaped:
            escaped = False
        elif rune == _BACKSLASH:
            escaped = True
        elif rune == _OPEN_ALT:
            depth += 1
        elif rune == _CLOSE_ALT:
            depth -= 1
        elif rune == _COMMA and depth == 1:
            options.append(data[start:index])
            start = index + width
        index += width
    options.append(data[start : index - 1])
    return options, index


def _is_zero_length(pattern: bytes) -> bool:
    """Whether the pattern can match an empty string, as doublestar decides it."""
    if pattern in (b"", b"*", b"**"):
        return True
    rune, width = _decode_rune(pattern, 0)
    if rune == _OPEN_ALT:
        options, end = _split_alternatives(pattern[width:])
        if end == -1:
            raise _BadPattern
        if not _is_zero_length(pattern[width + end :]):
            return False
        for option in options:
            if _is_zero_length(option):
                return True
    return False


def _class_rune(runes: list[int], index: int) -> tuple[int, int]:
    """The rune at `index` of a class, unescaped, and the index after it."""
    if runes[index] == _BACKSLASH:
        if index + 1 >= len(runes):
            raise _BadPattern
        return runes[index + 1], index + 2
    return runes[index], index + 1


def _class_matches(runes: list[int], rune: int) -> bool:
    """Whether `rune` is in the class `[runes]`; raises `_BadPattern` like doublestar."""
    if not runes:
        raise _BadPattern
    index = 1 if runes[0] == _CARET else 0
    matched = False
    while index < len(runes):
        if runes[index] == _DASH:
            raise _BadPattern
        low, index = _class_rune(runes, index)
        high = low
        if index < len(runes) and runes[index] == _DASH:
            index += 1
            if index >= len(runes) or runes[index] == _DASH:
                raise _BadPattern
            high, index = _class_rune(runes, index)
        if low <= rune <= high:
            matched = True
    return matched != (runes[0] == _CARET)


_Rests = tuple[bytes, ...]


class _Matcher:
    """Doublestar v1.3.4's recursive matcher, with every sub-result remembered.

    Doublestar backtracks: each `*` tries every rest of the name, each `**` every rest of the
    path, so `*a*a*a*a*a*a*a*a*a*a*a*ab` takes exponential time on `aaaa...`. The answer for a
    (pattern position, name position) pair never changes, so each is computed once, and so is
    the first match a `*` finds from each name position: matching takes time polynomial in the
    lengths (about patterns x name), with the same answers and the same `_BadPattern` failures.
    Positions are offsets into the same bytes, never copies, so the memory stays as small.
    """

    def __init__(self) -> None:
        self._components: dict[tuple[bytes, int, bytes, int], _Rests | _BadPattern | None] = {}
        self._firsts: dict[tuple[bytes, int, bytes], dict[int, _Rests | None]] = {}
        self._paths: dict[tuple[bytes, int], bool | _BadPattern] = {}

    def component(self, pattern: bytes, at: int, name: bytes, start: int) -> _Rests | None:
        """Match one name component, from byte `start`, against `pattern` from byte `at`.

        Returns None for no match, else the patterns left for the next components (empty when
        the pattern is used up; several when alternatives containing `/` matched).
        """
        key = (pattern, at, name, start)
        known = self._components.get(key, self)
        if known is self:
            try:
                known = self._component(pattern, at, name, start)
            except _BadPattern as exc:
                known = exc
            self._components[key] = known
        if isinstance(known, _BadPattern):
            raise known
        return known  # type: ignore[return-value]

    def _first(self, pattern: bytes, at: int, name: bytes, start: int) -> _Rests | None:
        """What a `*` before `pattern[at:]` finds: the first match from `start` on, or None.

        Doublestar tries `name[start:]`, then one rune less, and so on (never the empty rest)
        and stops at the first match or failure; every start it passed gives the same answer.
        """
        table = self._firsts.setdefault((pattern, at, name), {})
        passed: list[int] = []
        found: _Rests | None = None
        index = start
        while index < len(name):
            if index in table:
                found = table[index]
                break
            passed.append(index)
            found = self.component(pattern, at, name, index)
            if found is not None:
                break
            index += _decode_rune(name, index)[1]
        for index in passed:
            table[index] = found
        return found

    def _component(self, pattern: bytes, at: int, name: bytes, start: int) -> _Rests | None:
        pattern_index, name_index = at, start
        while pattern_index < len(pattern) and name_index < len(name):
            pattern_rune, pattern_width = _decode_rune(pattern, pattern_index)
            name_rune, name_width = _decode_rune(name, name_index)
            if pattern_rune == _SLASH:  # the pattern's component ended before the name's
                return None
            if pattern_rune == _BACKSLASH:
                pattern_index += pattern_width
                pattern_rune, pattern_width = _decode_rune(pattern, pattern_index)
                if pattern_rune == _RUNE_ERROR:
                    raise _BadPattern
                if pattern_rune != name_rune:
                    return None
                pattern_index += pattern_width
                name_index += name_width
            elif pattern_rune == _STAR:
                pattern_index += pattern_width
                if pattern_index >= len(pattern):
                    return ()
                next_rune, next_width = _decode_rune(pattern, pattern_index)
                if next_rune == _SLASH:
                    return (pattern[pattern_index + next_width :],)
                # doublestar never tries the empty rest of the name here
                return self._first(pattern, pattern_index, name, name_index)
            elif pattern_rune == _OPEN_CLASS:
                pattern_index += pattern_width
                end = _index_unescaped(pattern[pattern_index:], _CLOSE_CLASS)
                if end == -1:
                    raise _BadPattern
                end += pattern_index
                if not _class_matches(_runes(pattern[pattern_index:end]), name_rune):
                    return None
                pattern_index = end + 1
                name_index += name_width
            elif pattern_rune == _OPEN_ALT:
                pattern_index += pattern_width
                options, end = _split_alternatives(pattern[pattern_index:])
                if end == -1:
                    raise _BadPattern
                rest = pattern[pattern_index + end :]
                results: dict[bytes, None] | None = None
                for option in options:
                    found = self.component(option + rest, 0, name, name_index)
                    if found is not None:
                        # doublestar lists every rest, repeats included; trying a repeat again
                        # gives the same answer, so each is kept once (no exponential list)
                        results = results or {}
                        results.update(dict.fromkeys(found))
                return None if results is None else tuple(results)
            elif pattern_rune in (_QUESTION, name_rune):
                pattern_index += pattern_width
                name_index += name_width
            else:
                return None
        if name_index < len(name):
            return None
        if pattern_index >= len(pattern):
            return ()
        rest = pattern[pattern_index:]
        slash = _index_unescaped(rest, _SLASH)
        if _is_zero_length(rest if slash == -1 else rest[:slash]):
            return () if slash == -1 else (rest[slash + 1 :],)
        return None

    def path(self, pattern: bytes, names: list[bytes]) -> bool:
        """Whether the (last `len(names)`) name components match `pattern`."""
        key = (pattern, len(names))  # `names` is always a tail of the same list
        known = self._paths.get(key)
        if known is None:
            try:
                known = self._path(pattern, names)
            except _BadPattern as exc:
                known = exc
            self._paths[key] = known
        if isinstance(known, _BadPattern):
            raise known
        return known

    def _path(self, pattern: bytes, names: list[bytes]) -> bool:
        if not pattern and len(names) == 1 and not names[0]:
            return True
        slash = _index_unescaped(pattern, _SLASH)
        if (pattern if slash == -1 else pattern[:slash]) == b"**":
            if slash == -1:
                return True
            for start in range(len(names)):
                try:
                    if self.path(pattern[slash + 1 :], names[start:]):
                        return True
                except _BadPattern:  # doublestar ignores errors while trying the rest after **
                    pass
            return False
        rests = self.component(pattern, 0, names[0], 0)
        if rests is None:
            return False
        if not rests and len(names) == 1:
            return True
        if len(names) > 1:
            for rest in rests:
                if self.path(rest, names[1:]):
                    return True
        return False


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def doublestar_match(pattern: str, name: str) -> bool:
    """Whether `name` matches `pattern`, exactly as Harbor's rule selectors decide.

    Args:
        pattern: A doublestar (v1.3.4) pattern; empty matches everything.
        name: A repository name (without its project) or a tag.

    Returns:
        Whether the name matches.

    Raises:
        InvalidPolicyError: Matching reached a malformed part of the pattern (Harbor then
            stops evaluating the project's rules: the tag is not immutable), or the pattern
            nests deeper than Python's stack. Never for a pattern `validate_pattern` accepts:
            where doublestar fails on one (`{/a,b}` and a name with an empty component, such
            as `/`, which Harbor never has), this answers False.

    Example:
        >>> doublestar_match("v[0-9]*.[0-9]*.[0-9]*", "v1.20.3")
        True
        >>> doublestar_match("team/{api,web}", "team/db")
        False
    """
    if not pattern:
        return True
    try:
        return _Matcher().path(_encode(pattern), _split_name(_encode(name)))
    except _BadPattern:
        try:
            validate_pattern(pattern)
        except InvalidPolicyError:
            raise InvalidPolicyError(
                f"malformed pattern {_show(pattern)} (Harbor gives up evaluating the rules at it)"
            ) from None
        # A valid pattern whose `{...}` holds `/`, met by a name with an empty component
        # (`{/a,b}` and the name `/`): doublestar fails there; Harbor never has such names.
        return False
    except RecursionError:  # deeper than validate_pattern allows
        raise InvalidPolicyError(
            f"pattern {_show(pattern)} is too complex to match: see validate_pattern"
        ) from None


def _show(pattern: str) -> str:
    return repr(pattern) if len(pattern) <= 100 else f"{pattern[:100]!r}..."


def _check_class(runes: list[int], where: str) -> None:
    if not runes or runes == [_CARET]:
        raise InvalidPolicyError(f"empty character class in {where}")
    try:
        _class_matches(runes, 0)
    except _BadPattern:
        raise InvalidPolicyError(
            f"bad character class in {where}: write ranges as a-z, escape - and ] with \\"
        ) from None


def _check(pattern: bytes, where: str, *, at_start: bool = True) -> None:
    """Raise for every construct doublestar would answer `ErrBadPattern` to, reached or not.

    `at_start`: whether `pattern` begins a path component (the options of a `{...}` that
    begins one do too).
    """
    index = 0
    while index < len(pattern):
        rune, width = _decode_rune(pattern, index)
        component_start = (index == 0 and at_start) or (index > 0 and pattern[index - 1] == _SLASH)
        if rune == _BACKSLASH:
            index += width
            rune, width = _decode_rune(pattern, index)
            if rune == _RUNE_ERROR:
                raise InvalidPolicyError(f"a backslash must be followed by a character in {where}")
            index += width
        elif rune == _OPEN_CLASS:
            index += width
            end = _index_unescaped(pattern[index:], _CLOSE_CLASS)
            if end == -1:
                raise InvalidPolicyError(f"unclosed '[' in {where}")
            _check_class(_runes(pattern[index : index + end]), where)
            index += end + 1
        elif rune == _OPEN_ALT:
            options, end = _split_alternatives(pattern[index + width :])
            if end == -1:
                raise InvalidPolicyError(f"unclosed '{{' in {where}")
            body = pattern[index + width : index + width + end - 1]
            if not component_start and _index_unescaped(body, _SLASH) != -1:
                raise InvalidPolicyError(
                    f"a '{{...}}' holding '/' must begin a path component in {where}: Harbor's "
                    "matcher (doublestar v1.3.4) fails when a name ends right before it; write "
                    "'{api/v1,api/v2}', not 'api{/v1,/v2}'"
                )
            for option in options:
                _check(option, where, at_start=component_start)
            index += width + end
        else:
            index += width


def _tail_atoms(pattern: bytes) -> list[list[bytes | list[bytes]]]:
    """The top-level atoms of each path component: `*`, a `{...}` (as its options), or other."""
    components: list[list[bytes | list[bytes]]] = [[]]
    index = 0
    while index < len(pattern):
        rune, width = _decode_rune(pattern, index)
        if rune == _SLASH:
            components.append([])
        elif rune == _OPEN_ALT:
            options, end = _split_alternatives(pattern[index + width :])
            components[-1].append(options)
            index += width + end
            continue
        elif rune == _BACKSLASH:
            width += _decode_rune(pattern, index + width)[1]
            components[-1].append(b"\\")
        elif rune == _OPEN_CLASS:
            end = _index_unescaped(pattern[index:], _CLOSE_CLASS)
            components[-1].append(b"[")
            index += end + 1
            continue
        else:
            components[-1].append(b"*" if rune == _STAR else b"x")
        index += width
    return components


def _has_star(atom: bytes | list[bytes]) -> bool:
    if isinstance(atom, list):
        return any(_index_unescaped(option, _STAR) != -1 for option in atom)
    return atom == b"*"


def _check_tails(pattern: bytes, where: str) -> None:
    """Refuse the endings of a component that doublestar v1.3.4 matches less than it seems to.

    Once a `*` has matched, doublestar tries the rest of the component only against a rest of
    the name that is not empty, and at the end of a name it accepts only `*`, `**` or an
    optional `{...}` as the pattern's rest. So `v*{,-rc}` does not match `v1.0`, and `a***`
    does not match `a`: Harbor would leave such tags mutable without a word.
    """
    for atoms in _tail_atoms(pattern):
        if atoms == [b"*", b"*"]:
            continue  # a globstar
        # The component's tail that can match nothing: `*`s and optional `{...}` groups.
        start = len(atoms)
        while start and (
            atoms[start - 1] == b"*"
            or (isinstance(atoms[start - 1], list) and b"" in atoms[start - 1])
        ):
            start -= 1
        tail = atoms[start:]
        star = next((i for i, atom in enumerate(tail) if _has_star(atom)), len(tail))
        if any(isinstance(atom, list) for atom in tail[star + 1 :]):
            raise InvalidPolicyError(
                f"a '*' followed by an optional '{{...}}' at the end of a component in {where}: "
                "Harbor's matcher (doublestar v1.3.4) never lets that '*' reach the end of the "
                "name, so 'v*{,-rc}' does not match 'v1.0'; write '{v*,v*-rc}', or just 'v*'"
            )
        if len(tail) >= 3 and tail[-3:] == [b"*", b"*", b"*"]:
            raise InvalidPolicyError(
                f"three or more '*' at the end of a component in {where}: Harbor's matcher "
                "(doublestar v1.3.4) makes them need at least one character, so 'a***' does not "
                "match 'a'; write one '*'"
            )


MAX_NESTING = 8
"""The deepest nesting of `{...}` that `validate_pattern` accepts (`{a,{b,c}}` nests 2 deep)."""
MAX_OPERATORS = 128
"""The most `*`, `{` and `/` (not escaped) that `validate_pattern` accepts in one pattern."""


def _check_size(pattern: bytes, where: str) -> None:
    """Refuse patterns past `MAX_NESTING` or `MAX_OPERATORS`, which bound the matcher's stack."""
    depth = deepest = operators = 0
    escaped = False
    for byte in pattern:
        if escaped:
            escaped = False
        elif byte == _BACKSLASH:
            escaped = True
        elif byte == _OPEN_ALT:
            depth += 1
            deepest = max(deepest, depth)
            operators += 1
        elif byte == _CLOSE_ALT:
            depth = max(depth - 1, 0)
        elif byte in (_STAR, _SLASH):
            operators += 1
    if deepest > MAX_NESTING:
        raise InvalidPolicyError(
            f"'{{...}}' nested {deepest} deep in {where}: at most {MAX_NESTING} levels"
        )
    if operators > MAX_OPERATORS:
        raise InvalidPolicyError(
            f"{operators} '*', '{{' and '/' in {where}: at most {MAX_OPERATORS}"
        )


def validate_pattern(pattern: str, *, what: str = "pattern") -> None:
    """Check that a pattern is well formed for Harbor's matcher; raise if not.

    Stricter than Harbor, which saves any pattern and only fails when matching reaches the
    bad part: this refuses an empty pattern (Harbor reads it as "everything"; write `**`),
    unclosed `[` or `{`, empty or malformed character classes (`[]`, `[^]`, `[a-]`), a
    backslash with nothing after it, wherever they are, a `{...}` holding `/` that does not
    begin a path component (doublestar fails when a name ends right before it), and two
    component endings that doublestar v1.3.4 matches less than they seem to, so that Harbor
    would silently leave tags mutable: a `*` followed by an optional `{...}` (`v*{,-rc}` does
    not match `v1.0`), and three or more `*` (`a***` does not match `a`). It also bounds the
    matcher's work: at most `MAX_NESTING` (8) levels of nested `{...}`, and at most
    `MAX_OPERATORS` (128) `*`, `{` and `/` in all.

    Every pattern it accepts is matched against any name without raising, in time polynomial
    in the lengths of the pattern and the name.

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
    where = f"{what} {_show(pattern)}"
    if not pattern:
        raise InvalidPolicyError(f"empty {what}: write ** to match everything")
    if "\x00" in pattern:
        raise InvalidPolicyError(f"NUL character in {where}")
    _check_size(_encode(pattern), where)
    _check(_encode(pattern), where)
    _check_tails(_encode(pattern), where)
