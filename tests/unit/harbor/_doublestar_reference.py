"""The doublestar v1.3.4 matcher as harborsec first wrote it: plain backtracking, no memory.

A reference for the differential fuzz test of the memoised matcher in
`harborsec.harbor._doublestar`: on small inputs the two must agree exactly, failures included.
Exponential on some patterns: only for short ones.
"""

from __future__ import annotations

from harborsec.harbor._doublestar import (
    _BACKSLASH,
    _CLOSE_CLASS,
    _OPEN_ALT,
    _OPEN_CLASS,
    _QUESTION,
    _RUNE_ERROR,
    _SLASH,
    _STAR,
    _BadPattern,
    _class_matches,
    _decode_rune,
    _index_unescaped,
    _is_zero_length,
    _runes,
    _split_alternatives,
    _split_name,
)

__all__ = ["reference_match"]


def _match_component(pattern: bytes, name: bytes) -> list[bytes] | None:
    """Match one name component against the start of `pattern`.

    Returns None for no match, else the patterns left for the next components (empty when the
    pattern is used up; several when alternatives containing `/` matched).
    """
    pattern_index = name_index = 0
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
                return []
            next_rune, next_width = _decode_rune(pattern, pattern_index)
            if next_rune == _SLASH:
                return [pattern[pattern_index + next_width :]]
            # doublestar never tries the empty rest of the name here
            while name_index < len(name):
                found = _match_component(pattern[pattern_index:], name[name_index:])
                if found is not None:
                    return found
                name_index += _decode_rune(name, name_index)[1]
            return None
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
            results: list[bytes] | None = None
            for option in options:
                found = _match_component(option + rest, name[name_index:])
                if found is not None:
                    results = [*(results or []), *found]
            return results
        elif pattern_rune in (_QUESTION, name_rune):
            pattern_index += pattern_width
            name_index += name_width
        else:
            return None
    if name_index < len(name):
        return None
    if pattern_index >= len(pattern):
        return []
    rest = pattern[pattern_index:]
    slash = _index_unescaped(rest, _SLASH)
    if _is_zero_length(rest if slash == -1 else rest[:slash]):
        return [] if slash == -1 else [rest[slash + 1 :]]
    return None


def _match(pattern: bytes, names: list[bytes]) -> bool:
    if not pattern and len(names) == 1 and not names[0]:
        return True
    slash = _index_unescaped(pattern, _SLASH)
    if (pattern if slash == -1 else pattern[:slash]) == b"**":
        if slash == -1:
            return True
        for start in range(len(names)):
            try:
                if _match(pattern[slash + 1 :], names[start:]):
                    return True
            except _BadPattern:  # doublestar ignores errors while trying the rest after **
                pass
        return False
    rests = _match_component(pattern, names[0])
    if rests is None:
        return False
    if not rests and len(names) == 1:
        return True
    if len(names) > 1:
        for rest in rests:
            if _match(rest, names[1:]):
                return True
    return False


def reference_match(pattern: str, name: str) -> bool:
    """`doublestar_match` by plain backtracking; raises `_BadPattern` where doublestar fails."""
    if not pattern:
        return True
    encoded = pattern.encode("utf-8", "surrogatepass")
    return _match(encoded, _split_name(name.encode("utf-8", "surrogatepass")))
