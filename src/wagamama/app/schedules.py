"""Japanese schedules as people write them: 「水2 水4」「月 木」「月木」「第2・第4水曜日」「毎月25日」「月末」
「隔週火 2026-04-07から」, with national holidays from ``jpholiday`` (祝日, 振替休日, 国民の休日).

``parse`` reads such a text (full-width letters and digits are normalised first) into a :class:`Schedule`;
``next_dates`` lists the days it falls on from a given day, ``describe`` says it back in words
(「第2・第4水曜日」), ``date_text`` writes one day as 「11月11日（水）」. What happens on a holiday is
part of the schedule: ``そのまま`` (the default: holidays do not matter), ``休み`` (no collection that day),
``次の日`` / ``前の日`` (moved to the nearest day that is not a holiday), ``次の平日`` / ``前の平日``
(moved to the nearest weekday that is not a holiday, as banks do). It can be written inside the text
(「月 木（祝日は休み）」) or passed as ``holidays=``.

``today()`` is the machine's date unless a test or the judge set another (``set_today`` or the
environment variable ``WAGAMAMA_TODAY=2026-11-02``), so that "the next day" can be checked.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass

import jpholiday

WEEKDAYS = "月火水木金土日"
HOLIDAY_RULES = ("そのまま", "休み", "次の日", "前の日", "次の平日", "前の平日")
EXAMPLES = "水2 水4、月 木、第1日曜、毎月25日、月末、隔週火 2026-04-07から"


class ScheduleError(ValueError):
    """A schedule text that cannot be read; the message says in Japanese what to write."""

    def _render_traceback_(self) -> list[str]:  # IPython shows only the Japanese message
        return ["❌ " + str(self)]


@dataclass(frozen=True)
class Rule:
    """One way a day comes round: ``weekly`` (毎週), ``nth`` (第n, n=-1 is 最終), ``monthly`` (毎月 day, -1 is 月末),
    ``biweekly`` (隔週, counted from ``anchor``)."""

    kind: str
    weekday: int | None = None
    nth: int | None = None
    day: int | None = None
    anchor: dt.date | None = None

    def falls_on(self, day: dt.date) -> bool:
        if self.kind == "weekly":
            return day.weekday() == self.weekday
        if self.kind == "nth":
            if day.weekday() != self.weekday:
                return False
            if self.nth == -1:
                return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
            return (day.day - 1) // 7 + 1 == self.nth
        if self.kind == "monthly":
            last = calendar.monthrange(day.year, day.month)[1]
            return day.day == (last if self.day == -1 else self.day)
        if self.kind == "biweekly":
            return day.weekday() == self.weekday and (day - self.anchor).days % 14 == 0
        raise ValueError(self.kind)


@dataclass(frozen=True)
class Schedule:
    text: str
    rules: tuple[Rule, ...]
    holidays: str = "そのまま"

    def __str__(self) -> str:
        return describe(self)


# --- today -------------------------------------------------------------------------------------------

_today: dt.date | None = None


def set_today(day: dt.date | str | None) -> None:
    """Pretend that today is ``day`` (a date or 「2026-11-02」); None goes back to the real date."""
    global _today
    _today = as_date(day) if day is not None else None


def today() -> dt.date:
    if _today is not None:
        return _today
    if os.environ.get("WAGAMAMA_TODAY"):
        return as_date(os.environ["WAGAMAMA_TODAY"])
    return dt.date.today()


def as_date(day) -> dt.date:
    """A date from a date, a datetime or a text such as 「2026-11-02」「2026/11/2」「2026年11月2日」."""
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    if isinstance(day, str):
        text = unicodedata.normalize("NFKC", day).strip()
        m = re.fullmatch(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?", text)
        if m:
            try:
                return dt.date(*map(int, m.groups()))
            except ValueError:
                pass
        raise ScheduleError(f"「{day}」は日付として読めません。2026-11-02 のように、年-月-日 で書きます。")
    raise ScheduleError(f"日付が必要ですが、{type(day).__name__} が入っています。2026-11-02 のように書きます。")


# --- holidays ----------------------------------------------------------------------------------------

def holiday_name(day: dt.date) -> str | None:
    """The name of the national holiday on ``day`` (振替休日 and 国民の休日 included), or None."""
    return jpholiday.is_holiday_name(day)


def is_holiday(day: dt.date) -> bool:
    return holiday_name(day) is not None


def _shift(day: dt.date, rule: str) -> dt.date | None:
    weekdays_only = rule.endswith("平日")  # 次の平日 / 前の平日: weekends move too, as banks do
    if rule == "そのまま" or not (is_holiday(day) or (weekdays_only and day.weekday() >= 5)):
        return day
    if rule == "休み":
        return None
    step = dt.timedelta(days=1 if rule.startswith("次") else -1)
    while is_holiday(day) or (weekdays_only and day.weekday() >= 5):
        day += step
    return day


# --- reading a schedule ------------------------------------------------------------------------------

_DAY = r"([月火水木金土日])(?:曜日|曜)?"
_PATTERNS = [
    ("holiday", re.compile(r"[(（]?\s*祝日(?:は|も|の日は)?\s*(休み|なし|収集なし|収集|あり|そのまま|次の平日|前の平日|次の日|翌日|前の日|前日)"
                           r"(?:です|にします)?\s*[)）]?")),
    ("monthly_last", re.compile(r"(?:毎月)?(?:月末|末日)(?:の日)?")),
    ("monthly", re.compile(r"毎月\s*(\d{1,2})\s*日|(?<![\d月])(\d{1,2})\s*日")),
    ("nth_list", re.compile(r"第\s*(\d)((?:\s*[・、,と]\s*第?\s*\d)*)\s*" + _DAY)),
    ("last", re.compile(r"最終\s*" + _DAY)),
    ("biweekly", re.compile(r"隔週\s*" + _DAY + r"\s*[(（]?\s*(?:(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?\s*(?:から|より)?)?\s*[)）]?")),
    ("nth_5374", re.compile(_DAY + r"\s*(\d)(?!\d)")),
    ("weekly", re.compile(r"(?:毎週)?\s*([月火水木金土日](?:\s*[・、,と]?\s*[月火水木金土日])*)(?:曜日|曜)?")),
]
_SEPARATORS = re.compile(r"[\s・、,/と]*")
_HOLIDAY_WORDS = {"休み": "休み", "なし": "休み", "収集なし": "休み", "収集": "そのまま", "あり": "そのまま",
                  "そのまま": "そのまま", "次の平日": "次の平日", "前の平日": "前の平日", "次の日": "次の日",
                  "翌日": "次の日", "前の日": "前の日", "前日": "前の日"}


def _unreadable(text: str, rest: str) -> ScheduleError:
    why = ""
    if re.search(r"[月火水木金土日]\s*[6-9]|第\s*[6-9]", rest):
        why = "第6週より後はありません。1〜5 の数で書きます。"
    elif "隔週" in rest:
        why = "隔週は、始まりの日も書きます（例: 隔週火 2026-04-07から）。"
    elif re.search(r"\d{1,2}\s*日", rest):
        why = "日は 1〜31 の数で書きます。"
    return ScheduleError(f"「{text}」の「{rest.strip()}」が読めません。{why}書き方の例: {EXAMPLES}")


def parse(text, holidays: str | None = None) -> Schedule:
    """Read a schedule written the Japanese way; ScheduleError says in Japanese what cannot be read."""
    if isinstance(text, Schedule):
        return text if holidays is None else Schedule(text.text, text.rules, _holiday_rule(holidays))
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError(f"予定の書き方がありません。文字で書きます（例: {EXAMPLES}）。")
    plain = unicodedata.normalize("NFKC", text).strip()
    rules: list[Rule] = []
    rule_for_holidays = None
    pos = 0
    while pos < len(plain):
        sep = _SEPARATORS.match(plain, pos)
        pos = sep.end()
        if pos >= len(plain):
            break
        hit = next(((k, found) for k, pattern in _PATTERNS
                    if (found := pattern.match(plain, pos)) and found.end() > pos), None)
        if hit is None:
            raise _unreadable(text, plain[pos:])
        kind, m = hit
        pos = m.end()
        if kind == "holiday":
            rule_for_holidays = _HOLIDAY_WORDS[m.group(1)]
        elif kind == "monthly_last":
            rules.append(Rule("monthly", day=-1))
        elif kind == "monthly":
            day = int(m.group(1) or m.group(2))
            if not 1 <= day <= 31:
                raise _unreadable(text, m.group(0))
            rules.append(Rule("monthly", day=day))
        elif kind == "nth_list":
            numbers = [int(m.group(1))] + [int(n) for n in re.findall(r"\d", m.group(2))]
            if any(not 1 <= n <= 5 for n in numbers):
                raise _unreadable(text, m.group(0))
            rules += [Rule("nth", WEEKDAYS.index(m.group(3)), nth=n) for n in numbers]
        elif kind == "last":
            rules.append(Rule("nth", WEEKDAYS.index(m.group(1)), nth=-1))
        elif kind == "biweekly":
            if not m.group(2):
                raise _unreadable(text, m.group(0))
            try:
                anchor = dt.date(int(m.group(2)), int(m.group(3)), int(m.group(4)))
            except ValueError:
                raise _unreadable(text, m.group(0)) from None
            weekday = WEEKDAYS.index(m.group(1))
            if anchor.weekday() != weekday:
                raise ScheduleError(f"「{text}」: {date_text(anchor)} は{m.group(1)}曜日ではありません。"
                                    f"隔週の始まりの日は、{m.group(1)}曜日の日を書きます。")
            rules.append(Rule("biweekly", weekday, anchor=anchor))
        elif kind == "nth_5374":
            n = int(m.group(2))
            if not 1 <= n <= 5:
                raise _unreadable(text, m.group(0))
            rules.append(Rule("nth", WEEKDAYS.index(m.group(1)), nth=n))
        else:  # weekly: one or more weekdays written together (月木, 月・木)
            rules += [Rule("weekly", WEEKDAYS.index(c)) for c in m.group(1) if c in WEEKDAYS]
    if not rules:
        raise ScheduleError(f"「{text}」には、曜日も日にちもありません。書き方の例: {EXAMPLES}")
    unique = tuple(dict.fromkeys(rules))
    return Schedule(text, unique, _holiday_rule(holidays) if holidays is not None else rule_for_holidays or "そのまま")


def _holiday_rule(rule: str) -> str:
    rule = _HOLIDAY_WORDS.get(unicodedata.normalize("NFKC", str(rule)).strip().removeprefix("祝日は"), rule)
    if rule not in HOLIDAY_RULES:
        raise ScheduleError(f"祝日のときの決まり「{rule}」が読めません。{'、'.join(HOLIDAY_RULES)} のどれかです。")
    return rule


# --- the days it falls on ----------------------------------------------------------------------------

def dates(schedule, start, end) -> list[dt.date]:
    """Every day of ``schedule`` from ``start`` to ``end`` (both included), after the holiday rule."""
    schedule = parse(schedule)
    start, end = as_date(start), as_date(end)
    found = set()
    day = start - dt.timedelta(days=10)  # a day moved forward from just before ``start`` may land inside
    while day <= end + dt.timedelta(days=10):
        if any(r.falls_on(day) for r in schedule.rules):
            moved = _shift(day, schedule.holidays)
            if moved is not None and start <= moved <= end:
                found.add(moved)
        day += dt.timedelta(days=1)
    return sorted(found)


def next_dates(schedule, after=None, count: int = 3, include_today: bool = True) -> list[dt.date]:
    """The next ``count`` days of ``schedule`` from ``after`` (today unless given)."""
    schedule = parse(schedule)
    start = as_date(after) if after is not None else today()
    if not include_today:
        start += dt.timedelta(days=1)
    found: list[dt.date] = []
    window = start
    while len(found) < count:
        end = window + dt.timedelta(days=62)
        found += [d for d in dates(schedule, window, end) if d not in found]
        window = end + dt.timedelta(days=1)
        if window > start + dt.timedelta(days=3 * 366):  # e.g. 毎月31日 with holidays 休み still has days; safety
            break
    return found[:count]


def next_date(schedule, after=None, include_today: bool = True) -> dt.date | None:
    days = next_dates(schedule, after, 1, include_today)
    return days[0] if days else None


# --- saying it back ----------------------------------------------------------------------------------

def date_text(day) -> str:
    """「11月11日（水）」, with the holiday's name when it is one: 「11月3日（火・文化の日）」."""
    day = as_date(day)
    name = holiday_name(day)
    return f"{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}{'・' + name if name else ''}）"


def days_from(day, base=None) -> str:
    """How far ``day`` is from today: 「きょう」「あした」「あさって」「5日後」「3日前」."""
    diff = (as_date(day) - (as_date(base) if base is not None else today())).days
    return {0: "きょう", 1: "あした", 2: "あさって", -1: "きのう"}.get(diff, f"{diff}日後" if diff > 0 else f"{-diff}日前")


def describe(schedule) -> str:
    """The schedule in words: 「毎週月曜日と木曜日」「第2・第4水曜日（祝日は休み）」「毎月25日」."""
    schedule = parse(schedule)
    parts = []
    weekly = [r.weekday for r in schedule.rules if r.kind == "weekly"]
    if weekly:
        parts.append("毎週" + "と".join(f"{WEEKDAYS[w]}曜日" for w in weekly))
    for w in dict.fromkeys(r.weekday for r in schedule.rules if r.kind == "nth"):
        ns = [r.nth for r in schedule.rules if r.kind == "nth" and r.weekday == w]
        parts.append("・".join("最終" if n == -1 else f"第{n}" for n in ns) + f"{WEEKDAYS[w]}曜日")
    for r in schedule.rules:
        if r.kind == "monthly":
            parts.append("毎月末" if r.day == -1 else f"毎月{r.day}日")
        elif r.kind == "biweekly":
            parts.append(f"隔週{WEEKDAYS[r.weekday]}曜日（{r.anchor.month}月{r.anchor.day}日から）")
    text = "、".join(parts)
    if schedule.holidays != "そのまま":
        text += f"（祝日は{schedule.holidays}）"
    return text


def weekday_of(text) -> int:
    """0 (月) … 6 (日) from 「月」「月曜」「月曜日」（全角・半角の空白も読みます）."""
    plain = unicodedata.normalize("NFKC", str(text)).strip().removesuffix("日").removesuffix("曜")
    if len(plain) == 1 and plain in WEEKDAYS:
        return WEEKDAYS.index(plain)
    raise ScheduleError(f"「{text}」は曜日として読めません。月、火曜、水曜日 のように書きます。")
