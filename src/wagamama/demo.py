"""`make demo`: a whole cohort on the embedded default, headless, start to finish.

A fictional town's cohort: the roster comes as a Shift_JIS CSV (as a town office exports it),
learners fetch and submit typical answers (grading/cases/), the instructor collects, autogrades,
grades the written answers by the rubric, returns feedback and exports the grades.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from . import learner
from .cases import hand_in, load_cases
from .cohort import create_cohort, open_cohort
from .errors import WagamamaError
from .export import export
from .grading.autograde import autograde
from .grading.collect import collect
from .grading.feedback import feedback
from .locations import cohorts_dir, exchange_dir, home
from .release import release
from .roster import import_roster
from .status import render_learners, render_summary, status

COHORT = "demo-sakura"
# program → (cohort id, title, municipality): `wagamama demo --program kyoryokutai` grades a cohort of that track
COHORTS = {
    "wagamama-lab": (COHORT, "さくら町 ワガママLab 2026秋（デモ）", "さくら町（架空の町）"),
    "kyoryokutai": ("demo-momiji", "もみじ町 地域おこし協力隊 デジタル実践コース 2026（デモ）", "もみじ町（架空の町）"),
    "sip": ("demo-aoba", "あおば市 エンジニア向け 地域課題解決コース 2026（デモ）", "あおば市（架空の市）"),
}
# id, 氏名, ふりがな, rubric level for the written answers (None: left for the instructor)
LEARNERS = [
    ("u001", "山田 花子", "やまだ はなこ", 3),
    ("u002", "佐藤 美咲", "さとう みさき", 2),
    ("u003", "鈴木 洋子", "すずき ようこ", 3),
    ("u004", "高橋 さくら", "たかはし さくら", 2),
    ("u005", "田中 由美", "たなか ゆみ", 0),
    ("u006", "伊藤 恵", "いとう めぐみ", None),
    ("u007", "渡辺 真理", "わたなべ まり", None),
]
# assignment → learner → the case (grading/cases/) they hand in; a learner not named hands nothing in
HANDED_IN = {
    "ex00_hajimete": {"u001": "model", "u002": "daikin_zenkaku", "u003": "aisatsu_print", "u004": "model",
                      "u005": "blank", "u007": "yobina_no_quotes"},
    "ex01_wagamama": {"u001": "model", "u002": "score_addition", "u003": "rank_ascending", "u004": "top_second",
                      "u005": "blank", "u007": "diary_fullwidth_string"},
    "ex02_yusen": {"u001": "model", "u002": "top3_two", "u003": "onaji_max_only", "u004": "model"},
    "ex03_mondai": {"u001": "model", "u002": "bun_no_commas", "u003": "toi_with_app", "u004": "naze_four",
                    "u005": "blank", "u007": "mondai_placeholder"},
    "ex04_idea": {"u001": "model", "u002": "shiboru_greater", "u003": "model", "u004": "erabi_min"},
    "ex05_sekkei": {"u001": "model", "u002": "tsuin_buton_typo", "u003": "shigen_no_open", "u004": "model"},
    "ex06_app": {"u001": "model", "u002": "miseru_not_connected", "u003": "hozon_tag_chigai", "u004": "miseru_print"},
    "ex07_hozon": {"u001": "model", "u002": "hozon_overwrite", "u003": "kowareta_no_try"},
    "ex08_machi": {"u001": "model", "u003": "kozui_not_filtered"},
    "ex09_happyou": {"u001": "model", "u002": "konkyo_no_number", "u004": "pitch_too_long"},
    # kyoryokutai (もみじ町)
    "ex10_excel": {"u001": "model", "u002": "wareki_tashizan", "u003": "yomikomi_goukei", "u004": "kakidashi_moji"},
    "ex11_calendar": {"u001": "model", "u002": "kairan_nichiyou_hajimari", "u003": "ics_no_timezone", "u005": "blank"},
    "ex12_geppou": {"u001": "model", "u002": "kubun_kensuu", "u004": "bun_max_namae"},
    "ex13_kojin": {"u001": "model", "u002": "kakusu_bikou", "u003": "chiku_no_kakusu", "u004": "model"},
    "ex14_project": {"u001": "model", "u002": "kikaku_no_number", "u003": "milestones_three"},
    # sip (あおば市)
    "ex15_chiiki": {"u001": "model", "u002": "zougen_ato_de", "u003": "chikai_heimen", "u004": "model"},
    "ex16_kikitori": {"u001": "model", "u002": "mondai_app", "u003": "bunrui_sute"},
    "ex17_review": {"u001": "model", "u002": "contrast_senkei_nai", "u004": "review_no_taiou"},
    "ex18_service": {"u001": "model", "u002": "soroeru_hiragana", "u003": "annai_zero", "u005": "blank"},
    "ex19_houkoku": {"u001": "model", "u002": "gazou_no_decode", "u004": "page_escape_naiyou"},
}


def _write_roster(path: Path) -> Path:
    lines = ["受講者ID,氏名,ふりがな,メールアドレス"]
    lines += [f"{i},{name},{kana},{i}@example.jp" for i, name, kana, _ in LEARNERS]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    return path


def _step(text: str, t0: float) -> None:
    print(f"[{time.monotonic() - t0:5.1f}s] {text}", flush=True)


def run_demo(jobs: int | None = None, program: str = "wagamama-lab") -> None:
    from .programs import get_program

    get_program(program)  # a Japanese error for an unknown program
    if program not in COHORTS:
        raise WagamamaError(f"デモがあるのは {'、'.join(COHORTS)} の講座です（「{program}」のデモはありません）。",
                            f"no demo for program {program}")
    cohort_id, title, town = COHORTS[program]
    t0 = time.monotonic()
    shutil.rmtree(cohorts_dir() / cohort_id, ignore_errors=True)
    shutil.rmtree(exchange_dir() / cohort_id, ignore_errors=True)
    work = home() / "demo"
    shutil.rmtree(work, ignore_errors=True)

    cohort = create_cohort(cohort_id, program, title, town, start="2026-10-01", instructors=("instructor",))
    _step(f"講座を作りました: {cohort.path}", t0)
    r = import_roster(cohort, _write_roster(work / "名簿_さくら町.csv"))
    _step(f"名簿（Shift_JIS の CSV）から {len(r.added)} 名を取り込みました", t0)
    release(cohort, cohort.assignments)
    _step(f"課題を配布しました: {'、'.join(cohort.assignments)}", t0)

    for a in cohort.assignments:
        cases = load_cases(a)
        for sid, case in HANDED_IN.get(a, {}).items():
            hand_in(cohort, a, sid, cases[case], work / "learners" / sid)
    _step("受講者が課題を受け取り、答えを書いて提出しました", t0)

    collect(cohort, cohort.assignments)
    _step("提出物を回収しました", t0)
    outcomes = autograde(cohort, cohort.assignments, jobs=jobs)
    _step(f"自動採点しました（{len(outcomes)} 件）", t0)

    with cohort.gradebook() as gb:
        for a in cohort.assignments:
            for sid, _, _, level in LEARNERS:
                if sid not in HANDED_IN.get(a, {}) or level is None:
                    continue
                for nb in gb.find_submission(a, sid).notebooks:
                    for grade in nb.grades:
                        if grade.needs_manual_grade:
                            grade.manual_score = min(level, grade.max_score)
                            grade.needs_manual_grade = False  # as the formgrader does when a grade is saved
        gb.db.commit()
    _step("講師が文章の答えを、ルーブリック（grading/rubrics/）で採点しました（1名は採点待ち）", t0)

    released = feedback(cohort, cohort.assignments)
    returned = {(a, sid) for a in cohort.assignments for sid in HANDED_IN.get(a, {})
                if learner.fetch_feedback(cohort, a, sid, work / "learners" / sid)}
    _step(f"フィードバックを返しました（受講者 {len({sid for _, sid in returned})} 名が、"
          f"あわせて {len(returned)} 件の課題のフィードバックを受け取りました。"
          f"文章の採点を待っている {len(released.held)} 件は、まだ返していません）", t0)

    csv_path = export(cohort, "csv")
    xlsx_path = export(cohort, "xlsx")
    _step("成績を書き出しました", t0)

    cohort = open_cohort(cohort_id)
    print()
    print(f"{cohort.title}（{cohort.id}）")
    st = status(cohort)
    print(render_summary(st))
    print()
    print(render_learners(st))
    print()
    print(f"フィードバック（講師側）: {cohort.path / 'feedback'}")
    print(f"フィードバック（受講者側）: {work / 'learners'}/<ID>/{cohort_id}/<課題>/feedback/")
    print(f"成績（CSV, Excel 用 BOM つき）: {csv_path}")
    print(f"成績（Excel）: {xlsx_path}")
    print(f"かかった時間: {time.monotonic() - t0:.1f} 秒")
