"""`Severity`: the vulnerability threshold of a project, ordered as Harbor orders it."""

from __future__ import annotations

import enum
import functools

from harborsec.errors import InvalidPolicyError

__all__ = ["Severity"]


@functools.total_ordering
class Severity(enum.Enum):
    """A vulnerability severity threshold, ordered: `NONE < LOW < MEDIUM < HIGH < CRITICAL`.

    The value is the lowercase string Harbor's project metadata (`severity`) holds. Comparison
    operators follow the order, as Harbor's blocking rule does: an artifact is blocked when its
    highest severity is at or above the threshold.

    Example:
        >>> Severity.parse("High") >= Severity.MEDIUM
        True
        >>> Severity.parse("negligible")
        <Severity.NONE: 'none'>
    """

    NONE = "none"
    """No threshold: with `prevent_vulnerable`, any finding blocks the pull."""
    LOW = "low"
    """Low and above."""
    MEDIUM = "medium"
    """Medium and above."""
    HIGH = "high"
    """High and above."""
    CRITICAL = "critical"
    """Critical only."""

    @property
    def rank(self) -> int:
        """The position in the order, as Harbor's severity codes: 0 (none) to 5 (critical)."""
        return _RANKS[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    @classmethod
    def parse(cls, value: Severity | str) -> Severity:
        """Read a severity given by a person or a file, in any case.

        Args:
            value: A `Severity`, or `none`, `negligible` (Harbor maps it to none), `low`,
                `medium`, `high` or `critical`, in any case.

        Raises:
            InvalidPolicyError: Another value.
        """
        if isinstance(value, Severity):
            return value
        if not isinstance(value, str):
            raise InvalidPolicyError(f"severity must be a string, not {type(value).__name__}")
        text = value.strip().lower()
        if text == "negligible":
            return cls.NONE
        for member in cls:
            if member.value == text:
                return member
        choices = ", ".join(m.value for m in cls)
        raise InvalidPolicyError(f"unknown severity {value!r}: expected one of {choices}")

    @classmethod
    def from_harbor(cls, value: str) -> Severity:
        """Read the `severity` metadata exactly as Harbor's pull policy does.

        Harbor title-cases the first letter only (Go's `strings.Title`): `high` and `High`
        are High, but `HIGH` is not recognised. Unrecognised values, `negligible` and the
        empty string all rank as none (code 0), which blocks any finding.
        """
        titled = value[:1].upper() + value[1:]
        for member in cls:
            if member.value.title() == titled:
                return member
        return cls.NONE


_RANKS = {
    Severity.NONE: 0,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
