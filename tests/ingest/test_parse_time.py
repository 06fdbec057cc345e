"""parse_time's direct reading of X dates agrees with strptime on every date X can write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from pileon.ingest.pages import parse_time

_X_DATE = "%a %b %d %H:%M:%S %z %Y"


@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9999, 12, 31)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_x_dates_read_as_strptime_reads_them(moment: datetime, offset: int) -> None:
    zone = timezone(timedelta(minutes=offset))
    text = moment.replace(microsecond=0, tzinfo=zone).strftime(_X_DATE)
    assert parse_time(text) == datetime.strptime(text, _X_DATE)
    assert parse_time(text).utcoffset() == timedelta(minutes=offset)  # type: ignore[union-attr]


def test_unusual_x_date_spellings_still_go_through_the_full_parser() -> None:
    assert parse_time("Sat Mar  4 10:20:15 +0000 2026") == datetime(2026, 3, 4, 10, 20, 15, tzinfo=UTC)
    for garbled in ("Sat Feb 30 10:20:15 +0000 2026", "Sat Mar 14 24:20:15 +0000 2026",
                    "Sun Foo 14 10:20:15 +0000 2026"):
        try:
            parse_time(garbled)
        except Exception as exc:  # noqa: BLE001 - the type is what is checked
            assert type(exc).__name__ == "RecordError", garbled
        else:
            raise AssertionError(f"{garbled!r} was read as a date")
