"""Japanese schedules on the real calendars of 2026 and 2027: nth weekdays (第5週 included), every-other-week,
monthly days, month ends, and national holidays from jpholiday (振替休日 and 国民の休日 included)."""

import calendar
import datetime as dt

import jpholiday
import pytest

from wagamama.app.schedules import (
    ScheduleError,
    date_text,
    dates,
    days_from,
    describe,
    next_date,
    next_dates,
    parse,
    set_today,
    today,
)

D = dt.date
YEARS = (D(2026, 1, 1), D(2027, 12, 31))


def iso(days):
    return [d.isoformat() for d in days]


def brute(weekday=None, nth=None, day=None, every_other_from=None):
    """The same days found the plain way, with the calendar module, for 2026–2027 (no holiday rule)."""
    found = []
    for year in (2026, 2027):
        for month in range(1, 13):
            if day is not None:
                last = calendar.monthrange(year, month)[1]
                found.append(D(year, month, last if day == -1 else day))
                continue
            same = [week[weekday] for week in calendar.monthcalendar(year, month) if week[weekday]]
            if nth is None:
                found += [D(year, month, d) for d in same]
            elif nth == -1:
                found.append(D(year, month, same[-1]))
            elif len(same) >= nth:
                found.append(D(year, month, same[nth - 1]))
    if every_other_from is not None:
        found = [d for d in found if (d - every_other_from).days % 14 == 0]
    return sorted(found)


@pytest.mark.parametrize("text, expected", [
    ("水2 水4", brute(2, 2) + brute(2, 4)),
    ("第2・第4水曜日", brute(2, 2) + brute(2, 4)),
    ("月 木", brute(0) + brute(3)),
    ("月木", brute(0) + brute(3)),
    ("金1 金3", brute(4, 1) + brute(4, 3)),
    ("水5", brute(2, 5)),
    ("最終金曜", brute(4, -1)),
    ("毎月25日", brute(day=25)),
    ("月末", brute(day=-1)),
    ("隔週火 2026-04-07から", brute(1, every_other_from=D(2026, 4, 7))),
])
def test_every_rule_falls_on_the_same_days_as_the_calendar_module(text, expected):
    assert dates(text, *YEARS) == sorted(set(expected))


def test_fifth_week_exists_only_in_months_that_have_one():
    assert iso(dates("水5", D(2026, 1, 1), D(2026, 12, 31))) == ["2026-04-29", "2026-07-29", "2026-09-30", "2026-12-30"]
    assert iso(dates("第5日曜", D(2027, 1, 1), D(2027, 12, 31))) == ["2027-01-31", "2027-05-30", "2027-08-29", "2027-10-31"]
    # 4月29日 is 昭和の日: a 第5水曜 collection that stops on holidays skips it
    assert "2026-04-29" not in iso(dates("水5（祝日は休み）", D(2026, 1, 1), D(2026, 12, 31)))


def test_holidays_come_from_jpholiday_including_substitute_and_citizens_holidays():
    assert [d for d, _ in jpholiday.year_holidays(2026)] == [d for d in dates("月火水木金土日", D(2026, 1, 1), D(2026, 12, 31))
                                                             if jpholiday.is_holiday(d)]
    # 2026-09-21 敬老の日 (Mon), 09-22 国民の休日 (Tue), 09-23 秋分の日: a 月・木 collection that stops on holidays
    assert iso(dates("月 木（祝日は休み）", D(2026, 9, 14), D(2026, 9, 30))) == ["2026-09-14", "2026-09-17", "2026-09-24",
                                                                               "2026-09-28"]
    # 2027-03-22 is 振替休日 (春分の日 falls on Sunday)
    assert "2027-03-22" not in iso(dates("月（祝日は休み）", D(2027, 3, 1), D(2027, 3, 31)))
    assert date_text(D(2026, 5, 6)) == "5月6日（水・憲法記念日 振替休日）"


def test_moved_days_skip_every_holiday_in_a_row():
    # 隔週火 from 4/7: 5/5 is こどもの日, 5/6 its 振替休日 → the next day that is no holiday is 5/7
    rule = "隔週火 2026-04-07から（祝日は次の日）"
    assert iso(dates(rule, D(2026, 5, 1), D(2026, 5, 31))) == ["2026-05-07", "2026-05-19"]
    # 毎月25日 paid on the weekday before when it falls on a weekend or holiday (as banks do)
    paid = iso(dates(parse("毎月25日", holidays="前の平日"), *YEARS))
    assert "2026-07-24" in paid and "2026-10-23" in paid and "2027-04-23" in paid and "2027-07-23" in paid
    assert all(D.fromisoformat(d).weekday() < 5 and not jpholiday.is_holiday(D.fromisoformat(d)) for d in paid)
    # 第1日曜: 2026-05-03 is a Sunday and 憲法記念日
    assert next_date("第1日曜（祝日は休み）", "2026-04-27") == D(2026, 6, 7)
    assert next_date("第1日曜", "2026-04-27") == D(2026, 5, 3)


def test_next_dates_start_today_and_cross_the_year():
    assert iso(next_dates("水2 水4", "2026-12-24", 3)) == ["2027-01-13", "2027-01-27", "2027-02-10"]
    assert next_date("月 木", "2026-11-02") == D(2026, 11, 2)
    assert next_date("月 木", "2026-11-02", include_today=False) == D(2026, 11, 5)
    assert next_date("月末", "2027-02-01") == D(2027, 2, 28)


def test_the_sakura_collection_table_reads_as_written(tmp_path):
    import csv

    from wagamama.locations import content_root

    with open(content_root() / "curriculum" / "data" / "sakura" / "gomi_shushubi.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for column, value in row.items():
            if column != "地名":
                assert dates(value, D(2026, 1, 1), D(2026, 1, 31)), (row["地名"], column, value)
    east = next(r for r in rows if r["地名"] == "東区")
    assert describe(east["資源ごみ（びん・缶）"]) == "第1・第3水曜日"
    assert iso(next_dates(east["資源ごみ（びん・缶）"], "2026-11-05", 2)) == ["2026-11-18", "2026-12-02"]


@pytest.mark.parametrize("text, says", [
    ("水6", "第6週より後はありません"),
    ("隔週火", "始まりの日も書きます"),
    ("隔週火 2026-04-08から", "火曜日ではありません"),
    ("毎月35日", "1〜31"),
    ("ごみの日", "読めません"),
    ("", "予定の書き方がありません"),
])
def test_what_cannot_be_read_is_said_in_japanese(text, says):
    with pytest.raises(ScheduleError, match=says):
        parse(text)


def test_full_width_and_words_are_read_and_said_back():
    assert describe("水２　水４") == "第2・第4水曜日"
    assert describe("毎週火曜日と金曜日") == "毎週火曜日と金曜日"
    assert describe("月・木（祝日は休み）") == "毎週月曜日と木曜日（祝日は休み）"
    assert describe("隔週火（2026年4月7日から）") == "隔週火曜日（4月7日から）"


def test_today_can_be_pretended(monkeypatch):
    set_today("2026-11-02")
    try:
        assert today() == D(2026, 11, 2) and days_from(D(2026, 11, 4)) == "あさって"
    finally:
        set_today(None)
    monkeypatch.setenv("WAGAMAMA_TODAY", "2027-01-01")
    assert today() == D(2027, 1, 1)
