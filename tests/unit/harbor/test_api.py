import datetime

import pytest

from harborsec.harbor._api import make_harbor_converter


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), (False, False), ("false", False), ("True", True)]
)
def test_booleans_are_read_as_harbor_means_them(value, expected):
    assert make_harbor_converter().structure(value, bool) is expected


@pytest.mark.parametrize("value", ["yes", 1, None, "0"])
def test_other_values_are_not_booleans(value):
    with pytest.raises(TypeError):
        make_harbor_converter().structure(value, bool)


def test_go_timestamps_with_nanoseconds():
    when = make_harbor_converter().structure("2026-11-27T10:00:00.123456789Z", datetime.datetime)
    assert when == datetime.datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "2026-11-27T10:00:00Z",
            datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.timezone.utc),
        ),
        (
            "2026-11-27T10:00:00.5Z",
            datetime.datetime(2026, 11, 27, 10, 0, 0, 500000, tzinfo=datetime.timezone.utc),
        ),
        (
            "2026-11-27T12:00:00.5+02:00",
            datetime.datetime(2026, 11, 27, 10, 0, 0, 500000, tzinfo=datetime.timezone.utc),
        ),
        (
            "2026-11-27T10:00:00.123+00:00",
            datetime.datetime(2026, 11, 27, 10, 0, 0, 123000, tzinfo=datetime.timezone.utc),
        ),
        (1795600000, datetime.datetime.fromtimestamp(1795600000, tz=datetime.timezone.utc)),
    ],
)
def test_timestamps_keep_their_offset(text, expected):
    assert make_harbor_converter().structure(text, datetime.datetime) == expected
