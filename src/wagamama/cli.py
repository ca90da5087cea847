"""`wagamama`: run a cohort on nbgrader from one command (instructor side)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import WagamamaError


class JapaneseHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "使い方: " if prefix is None else prefix)


class JapaneseArgumentParser(argparse.ArgumentParser):
    """argparse with Japanese usage, help headings and error messages (the English in parentheses)."""

    # argparse's English messages (Python 3.11 to 3.13) → Japanese; {0}, {1}… are the parts in brackets.
    MESSAGES = [
        (r"the following arguments are required: (.+)", "必要な引数が足りません: {0}。"),
        (r"unrecognized arguments: (.+)", "知らない引数があります: {0}。つづりと順番を確かめてください。"),
        (r"argument (.+?): invalid choice: '?(.*?)'? \(choose from (.+)\)", "{0}: 「{1}」は選べません。選べるもの: {2}。"),
        (r"argument (.+?): invalid (\w+) value: '(.*)'", "{0}: 「{2}」は{1}ではありません。"),
        (r"argument (.+?): expected one argument", "{0} のあとに値を1つ書いてください。"),
        (r"argument (.+?): expected at least one argument", "{0} のあとに値を1つ以上書いてください。"),
        (r"argument (.+?): expected at most one argument", "{0} のあとの値は1つまでです。"),
        (r"argument (.+?): not allowed with argument (.+)", "{0} と {1} は一緒には使えません。"),
        (r"argument (.+?): ignored explicit argument '(.*)'", "{0} には値「{1}」を書けません。"),
        (r"one of the arguments (.+) is required", "{0} のどれか1つが必要です。"),
        (r"ambiguous option: (\S+) could match (.+)", "{0} は {1} のどれのことか決められません。最後まで書いてください。"),
    ]
    TYPES = {"int": "整数", "float": "数"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", JapaneseHelpFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "引数"
        self._optionals.title = "オプション"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="この説明を表示して終わります")

    @classmethod
    def translate(cls, message: str) -> str:
        import re

        for pattern, japanese in cls.MESSAGES:
            m = re.fullmatch(pattern, message)
            if m:
                parts = [cls.TYPES.get(g, g) for g in m.groups()]
                parts = [p.replace("'", "").replace(", ", "、") for p in parts]
                return japanese.format(*parts)
        return "コマンドの書き方がまちがっています。"

    def parse_known_args(self, args=None, namespace=None):
        # A sub-command that is missing is named by its choices ({create,list,show}), not by its dest.
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and action.metavar is None:
                action.metavar = "{" + ",".join(action.choices) + "}"
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"エラー: {self.translate(message)}`{self.prog} -h` で使い方を見られます。\n({message})\n")


def _assignments(cohort, args) -> list[str]:
    """The one assignment named on the command line, or all of the cohort's (each stage checks the id)."""
    return [args.assignment] if args.assignment else cohort.assignments


def cmd_cohort_create(args) -> None:
    from .cohort import create_cohort
    from .learner_ids import require

    for instructor in args.instructor or ():
        require(instructor)  # an instructor is a Linux user on a hub too: the one ID rule
    c = create_cohort(args.id, args.program, args.title, args.municipality or "", args.start, args.end,
                      tuple(args.instructor or ()), args.db_url)
    print(f"講座「{c.title}」（{c.id}）を作りました: {c.path}")
    print(f"課題: {'、'.join(c.assignments)}")
    print(f"次は名簿の取り込みです: wagamama roster import {c.id} 名簿.csv")


def cmd_cohort_list(args) -> None:
    from .cohort import list_cohorts

    cohorts = list_cohorts()
    if not cohorts:
        print("講座はまだありません。`wagamama cohort create` で作ります。")
    for c in cohorts:
        print(f"{c.id}\t{c.title}\t{c.meta['program']}\t受講者 {len(c.learners)} 名")


def cmd_cohort_show(args) -> None:
    from .cohort import open_cohort
    from .programs import assignment_title

    c = open_cohort(args.id)
    m = c.meta
    for label, key in (("講座ID", "id"), ("講座名", "title"), ("プログラム", "program"), ("自治体", "municipality"),
                       ("開始日", "start"), ("終了日", "end")):
        print(f"{label}: {m.get(key) or '—'}")
    print(f"講師: {'、'.join(m.get('instructors') or []) or '—'}")
    print(f"受講者: {len(c.learners)} 名")
    print("課題:")
    for a in c.assignments:
        print(f"  {a}  {assignment_title(a)}")
    print(f"フォルダ: {c.path}")


def cmd_roster_import(args) -> None:
    from .cohort import open_cohort
    from .roster import import_roster

    r = import_roster(open_cohort(args.id), Path(args.file), confirm=args.yes)
    print(f"名簿を取り込みました: 追加 {len(r.added)} 名、更新 {len(r.updated)} 名、変更なし {len(r.unchanged)} 名。")
    for w in r.warnings:
        print(f"確認のうえ取り込みました: {w}")
    if r.mapped:
        print(r.mapping_text())
    if r.not_in_file:
        print(f"ファイルにない受講者 {len(r.not_in_file)} 名（{'、'.join(r.not_in_file)}）は、そのまま残しました。"
              f"名簿から外すときは `wagamama roster remove {args.id} ID` を使います。")


def cmd_roster_list(args) -> None:
    from . import terminal_table
    from .cohort import open_cohort
    from .roster_store import Roster

    c = open_cohort(args.id)
    with Roster(c) as roster:
        entries, removed = roster.entries(), roster.removed()
        handed_in = {i: len(roster.work(i)) for i in entries}
    header = ["ID", "氏名", "ふりがな", "メール", "提出"]
    rows = [[e.id, e.name, e.kana, e.email, str(handed_in[e.id])] for e in entries.values()]
    if any(e.roster_id for e in entries.values()):
        header.append("名簿の番号")
        for row, e in zip(rows, entries.values(), strict=True):
            row.append(e.roster_id)
    print(f"{c.title}（{c.id}）: 受講者 {len(entries)} 名")
    if rows:
        print("\n".join(terminal_table.render(header, rows, shrink=(1, 2, 3), right=(4,))))
        print("提出=何かを提出した課題の数。名簿の番号=名簿ファイルの ID（ログイン名に使えない形だったもの）。")
    else:
        print("受講者がまだいません。`wagamama roster import` で名簿を取り込んでください。")
    if removed:
        print(f"名簿から外した受講者 {len(removed)} 名（提出物と成績は成績簿に残しています）: {'、'.join(removed)}")
    if args.xlsx:
        from .spreadsheet import free_path, write_xlsx

        out = free_path(Path(args.xlsx))
        out.parent.mkdir(parents=True, exist_ok=True)
        table = [["受講者ID", "氏名", "ふりがな", "メール", "提出した課題の数", "名簿の番号"],
                 *[[e.id, e.name, e.kana, e.email, handed_in[e.id], e.roster_id] for e in entries.values()]]
        write_xlsx(out, [("名簿", table, "B2")], [("講座ID", c.id), ("講座名", c.title)])
        _wrote(out, Path(args.xlsx))


def cmd_roster_remove(args) -> None:
    from .cohort import open_cohort
    from .roster import remove_learners

    r = remove_learners(open_cohort(args.id), args.learners, force=args.force)
    if r.deleted:
        print(f"名簿から外しました（提出物はありませんでした）: {'、'.join(r.deleted)}")
    for i, assignments in r.kept.items():
        print(f"名簿から外しました: {i}。提出物と成績は消していません。成績簿と submitted/{i}/ などに残っています"
              f"（課題: {'、'.join(assignments)}）。名簿に戻すときは、名簿ファイルに入れて取り込み直します。")


def _wrote(out: Path, asked: Path) -> None:
    """Say where a file went, and that an existing file with the asked name was kept."""
    if out != asked:
        print(f"{asked.name} はもうあるので、上書きせずに {out.name} という名前にしました。")
    print(f"書き出しました: {out}")


def cmd_release(args) -> None:
    from .cohort import open_cohort
    from .release import release

    c = open_cohort(args.id)
    if not args.assignment and not args.all:
        raise WagamamaError(
            f"配布する課題IDか --all を指定してください。課題: {'、'.join(c.assignments)}", "give ASSIGNMENT or --all"
        )
    for a, what in release(c, _assignments(c, args)):
        print(f"{a}: {what}")


def cmd_collect(args) -> None:
    from .cohort import open_cohort
    from .grading.collect import collect

    c = open_cohort(args.id)
    collected = collect(c, _assignments(c, args))
    for a, students in collected.learners.items():
        print(f"{a}: {len(students)} 名分を回収しました（{'、'.join(students)}）")
    for why in collected.refused:
        print(f"  受け付けなかった提出: {why}")


def _progress(done: int, total: int, started: float) -> None:
    """A progress bar on one line: count, rate and time left."""
    import time

    elapsed = max(time.monotonic() - started, 1e-6)
    rate = done / elapsed
    left = (total - done) / rate
    bar = "#" * (20 * done // total)
    print(f"\r採点中 [{bar:<20}] {done}/{total} 件  {rate * 60:.1f} 件/分  残り約 {left:.0f} 秒 ",
          end="" if done < total else "\n", file=sys.stderr, flush=True)


def cmd_autograde(args) -> None:
    from .cohort import open_cohort
    from .grading.autograde import autograde, sandbox_policy
    from .grading.sandbox import isolation

    c = open_cohort(args.id)
    outcomes = autograde(c, _assignments(c, args), jobs=args.jobs, force=args.force, progress=_progress,
                         sandboxed=not args.no_sandbox)
    counts = {k: sum(o.status == k for o in outcomes) for k in ("graded", "needs_manual", "skipped", "failed")}
    print(f"採点済み {counts['graded']} 件、手動採点待ち {counts['needs_manual']} 件、"
          f"変更なしで省略 {counts['skipped']} 件、失敗 {counts['failed']} 件")
    print("隔離: " + ("なし（--no-sandbox: 受講者のコードを隔離せずに動かしました）" if args.no_sandbox
                      else isolation(sandbox_policy(c))))
    for o in outcomes:
        if o.status == "failed":
            print(f"  失敗: {o.student} / {o.assignment}: {o.reason}")
        for flag in o.flags:
            print(f"  要確認: {o.student} / {o.assignment}: {flag}")
    if counts["failed"]:
        raise WagamamaError("採点できなかった提出物があります（上の一覧）。ほかの受講者の採点は終わっています。"
                            "提出物は submitted/ にそのまま残っています。",
                            f"{counts['failed']} submission(s) failed")


def cmd_report(args) -> None:
    from .report import Options, Period, report_all, report_cohort

    if args.dashboard:
        import shutil

        from .report_dashboard import notebook

        print(f"ダッシュボードのノートを書き出しました: {shutil.copy(notebook(), args.dashboard)}")
        return
    if bool(args.id) == args.all:
        raise WagamamaError("講座ID か --all のどちらか一つを指定してください（例: wagamama report oyama-2026a）。",
                            "give COHORT or --all")
    options = Options(Period.parse(args.date_from, args.date_to), args.idle_days, args.complete_assignments,
                      args.complete_percent)
    out = Path(args.output) if args.output else None
    if args.all:
        report, html, xlsx = report_all(args.program, options, out)
    else:
        report, html, xlsx = report_cohort(args.id, options, out)
    print("\n".join(report.summary))
    print(f"書き出しました: {html}\n書き出しました: {xlsx}")


def cmd_doctor(args) -> None:
    import shutil

    from .cohort import list_cohorts, open_cohort
    from .grading.autograde import sandbox_policy
    from .grading.sandbox import Policy, isolation
    from .locations import home

    print(f"WAGAMAMA_HOME: {home()}")
    print(f"Python: {sys.executable}")
    for tool in ("bwrap", "sudo", "chromium", "node", "pg_ctlcluster"):
        print(f"{tool}: {shutil.which(tool) or 'なし（sudo make system-deps で入ります）'}")
    cohorts = [open_cohort(args.id)] if args.id else list_cohorts()
    print(f"採点の隔離（既定）: {isolation(Policy())}")
    for c in cohorts:
        print(f"採点の隔離（{c.id}）: {isolation(sandbox_policy(c))}")


def cmd_feedback(args) -> None:
    from .cohort import open_cohort
    from .grading.feedback import feedback

    c = open_cohort(args.id)
    done = feedback(c, _assignments(c, args), partial=args.partial)
    for a, students in done.learners.items():
        print(f"{a}: {len(students)} 名にフィードバックを返しました（{c.path / 'feedback'}）")
    if done.held:
        answers = sum(n for _, _, n in done.held)
        print(f"文章の答えがまだ採点されていないため、{len(done.held)} 件のフィードバックを返していません"
              f"（採点されていない答え {answers} 件）。採点してからもう一度実行するか、"
              "採点の終わった分だけでも返すときは --partial をつけます。")
        for student, a, n in done.held:
            print(f"  保留: {student} / {a}: 採点されていない答え {n} 件")
    for student, a, why in done.failed:
        print(f"  返せませんでした: {student} / {a}: {why}")
    _print_kernel_trouble(c)
    if done.failed:
        raise WagamamaError("フィードバックを返せなかった受講者がいます（上の一覧）。ほかの受講者には返しました。",
                            f"{len(done.failed)} feedback(s) failed")


def _print_kernel_trouble(cohort) -> None:
    """Submissions whose grading hit a time limit or whose Python crashed (from the autograde records)."""
    from .grading.autograde import kernel_trouble

    trouble = kernel_trouble(cohort)
    if trouble:
        print("時間切れや、Python が止まった提出物（講師が中身を確かめてください）:")
        for student, a, why in trouble:
            print(f"  {student} / {a}: {why}")


def cmd_grade(args) -> None:
    from .cohort import open_cohort
    from .manual_grading import serve

    serve(open_cohort(args.id), port=args.port, open_browser=not args.no_browser)


def cmd_status(args) -> None:
    from .cohort import open_cohort
    from .status import render_learner, render_learners, render_summary, status, write_xlsx

    c = open_cohort(args.id)
    st = status(c)
    print(f"{c.title}（{c.id}）")
    if args.learner:
        print(render_learner(st, args.learner))
    elif args.learners:
        print(render_learners(st))
    else:
        print(render_summary(st))
        if st.learners:
            print(f"受講者ごと: wagamama status {c.id} --learners")
            print("ひとりずつ: --learner 受講者ID　Excel のファイルに: --xlsx ファイル")
    if args.xlsx:
        _wrote(write_xlsx(c, st, Path(args.xlsx)), Path(args.xlsx))


def cmd_export(args) -> None:
    from .cohort import open_cohort
    from .export import default_path, export

    c = open_cohort(args.id)
    asked = Path(args.output) if args.output else default_path(c, args.format)
    _wrote(export(c, args.format, asked), asked)


def cmd_demo(args) -> None:
    from .demo import run_demo

    run_demo(jobs=args.jobs, program=args.program)


def cmd_start(args) -> int:
    from .start import start

    return start(args.cohort, port=args.port, open_browser=not args.no_browser)


def cmd_app(args) -> None:
    from .app import DesignError, check_design, load_design
    from .app.serve import serve

    try:
        if args.action == "serve":
            serve(args.notebook, args.port, args.lan)
            return
        problems = check_design(Path(args.design))
        if args.action == "check":
            if problems:
                raise WagamamaError(f"{args.design}: 設計に直すところが {len(problems)} つあります。\n"
                                    + "\n".join(f"- {p}" for p in problems), "the design has problems")
            print(f"⭕ {args.design}: 設計に問題はありません。")
            return
        for p in problems:  # export: an unfinished design can still be opened in App Inventor
            print(f"⚠️ {p}")
        load_design(Path(args.design)).export_aia(args.output)
    except DesignError as e:
        raise WagamamaError(f"{args.design if args.action != 'serve' else args.notebook}: {e}",
                            "the app could not be built") from None


def cmd_hub(args) -> None:
    from dataclasses import fields

    from .cohort import open_cohort
    from .hub import config, sync

    settings = config.HubSettings.load()
    if args.action == "start":
        config.start()
        return
    if args.action == "render":
        for f in fields(settings):
            value = getattr(args, f.name, None)
            if value is not None:
                setattr(settings, f.name, value)
    elif args.action == "add-learner":
        sync.add_learner(open_cohort(args.cohort), args.id, args.name)
    elif args.action == "add-instructor":
        sync.add_instructor(open_cohort(args.cohort), args.id)
    elif args.action == "k8s":
        from .hub.k8s import write_values

        print(f"書き出しました: {write_values(Path(args.output))}")
        return
    elif args.action == "warm":
        from .hub.warm import warm

        result = warm(open_cohort(args.cohort), args.at, args.notebook, settings)
        if result.failed:
            raise WagamamaError(f"{len(result.failed)} 人のサーバーを準備できませんでした: "
                                + "、".join(w.user for w in result.failed)
                                + "。もう一度実行すると、その人たちだけ準備します。", "some servers did not start")
        return
    plan, pushed = sync.sync(settings)
    for c in plan.cohorts:
        print(f"講座 {c.id}: 受講者 {len(c.learners)} 人、講師 {len(c.instructors)} 人、採点サービス /services/{c.id}/ "
              f"（127.0.0.1:{c.port}）")
    print("動いているハブのグループも更新しました。" if pushed else
          "ハブは動いていません。次に `sudo wagamama hub start` で起動したときに反映されます。")


def cmd_selfstudy(args) -> None:
    from .selfstudy import build

    made = build(Path(args.dest))
    print(f"自習用の課題を {len(made)} 冊作りました: {args.dest}/")


def cmd_progress(args) -> None:
    from . import progress

    if args.program is None:
        print(progress.tracks())
        print()
    print(progress.report(args.program))
    if args.chart:
        progress.chart(args.program).savefig(args.chart)
        print(f"グラフ: {args.chart}")


def cmd_backup(args) -> None:
    from .backup import backup

    backup(args.to, args.root)


def cmd_restore(args) -> None:
    from .backup import restore

    restore(args.file, args.root)


def cmd_links(args) -> None:
    from .links import binder_url, nbgitpuller_url

    try:
        print("Binder:", binder_url(args.repo, args.branch, args.notebook))
    except WagamamaError:
        if not args.hub:
            raise
        print("Binder: GitHub のリポジトリだけで使えます（このリポジトリは、下の nbgitpuller のリンクで開きます）。")
    if args.hub:
        print("nbgitpuller:", nbgitpuller_url(args.hub, args.repo, args.branch, args.notebook))


def parser() -> argparse.ArgumentParser:
    p = JapaneseArgumentParser(prog="wagamama", description="ワガママLab の講座を nbgrader で運営します。")
    sub = p.add_subparsers(dest="command", required=True, metavar="コマンド")

    cohort = sub.add_parser("cohort", help="講座（コホート）を作る・一覧・表示").add_subparsers(dest="action", required=True)
    c = cohort.add_parser("create", help="講座を作る")
    c.add_argument("id", help="講座ID（半角英数字、例: oyama-2026a）")
    c.add_argument("--program", required=True, help="プログラム（wagamama-lab, oneday, kyoryokutai, sip）")
    c.add_argument("--title", required=True, help="講座名（日本語、例: 小山市 ワガママLab 2026春）")
    c.add_argument("--municipality", help="自治体名")
    c.add_argument("--start", help="開始日（2026-04-01）")
    c.add_argument("--end", help="終了日")
    c.add_argument("--instructor", action="append", help="講師のID（何度でも指定できます）")
    c.add_argument("--db-url", help="成績簿の SQLAlchemy URL（既定: 講座フォルダの SQLite）")
    c.set_defaults(func=cmd_cohort_create)
    cohort.add_parser("list", help="講座の一覧").set_defaults(func=cmd_cohort_list)
    c = cohort.add_parser("show", help="講座の中身")
    c.add_argument("id")
    c.set_defaults(func=cmd_cohort_show)

    roster = sub.add_parser("roster", help="名簿").add_subparsers(dest="action", required=True)
    c = roster.add_parser("import", help="名簿（CSV / Excel）を取り込む")
    c.add_argument("id", help="講座ID")
    c.add_argument("file", help="名簿のファイル（.csv / .xlsx）")
    c.add_argument("--yes", action="store_true", help="まちがいに見える名簿（ID が行の番号・全員の ID が変わる）も取り込む")
    c.set_defaults(func=cmd_roster_import)
    c = roster.add_parser("list", help="名簿を表示する")
    c.add_argument("id", help="講座ID")
    c.add_argument("--xlsx", metavar="ファイル", help="Excel のファイルにも書き出す")
    c.set_defaults(func=cmd_roster_list)
    c = roster.add_parser("remove", help="受講者を名簿から外す（提出物と成績は消しません）")
    c.add_argument("id", help="講座ID")
    c.add_argument("learners", nargs="+", metavar="受講者ID")
    c.add_argument("--force", action="store_true", help="提出物のある受講者も外す（提出物と成績は残ります）")
    c.set_defaults(func=cmd_roster_remove)

    c = sub.add_parser("release", help="課題を配布する")
    c.add_argument("id")
    c.add_argument("assignment", nargs="?")
    c.add_argument("--all", action="store_true", help="講座のすべての課題")
    c.set_defaults(func=cmd_release)

    for name, func, text in (("collect", cmd_collect, "提出物を回収する"), ("feedback", cmd_feedback, "フィードバックを作って返す")):
        c = sub.add_parser(name, help=text)
        c.add_argument("id")
        c.add_argument("assignment", nargs="?")
        c.set_defaults(func=func)
    c.add_argument("--partial", action="store_true",
                   help="文章の答えの採点が終わっていなくても返す（まだ読んでいる答えは、そう書いて返します）")

    c = sub.add_parser("autograde", help="自動採点する")
    c.add_argument("id")
    c.add_argument("assignment", nargs="?")
    c.add_argument("--jobs", type=int, default=None, help="同時に採点する数（既定: CPU の数）")
    c.add_argument("--no-sandbox", action="store_true", help="隔離せずに採点する（信頼できる提出物だけに）")
    c.add_argument("--force", action="store_true", help="採点済みでも採点し直す")
    c.set_defaults(func=cmd_autograde)

    c = sub.add_parser("grade", help="文章の答えを、ルーブリックを見ながら採点するページを開く")
    c.add_argument("id")
    c.add_argument("--port", type=int, default=None)
    c.add_argument("--no-browser", action="store_true")
    c.set_defaults(func=cmd_grade)

    c = sub.add_parser("status", help="課題ごとの提出・採点の状況（--learners で受講者ごと）")
    c.add_argument("id", help="講座ID")
    c.add_argument("--learners", action="store_true", help="受講者ごとの表")
    c.add_argument("--learner", metavar="受講者ID", help="ひとりの受講者の課題ごとの状況と点")
    c.add_argument("--xlsx", metavar="ファイル", help="Excel のファイルにも書き出す")
    c.set_defaults(func=cmd_status)

    c = sub.add_parser("export", help="成績を書き出す（Excel 用）")
    c.add_argument("id")
    c.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    c.add_argument("--output", help="書き出し先のファイル")
    c.set_defaults(func=cmd_export)

    c = sub.add_parser("report", help="講座のレポート（HTML と Excel）: 進みぐあい、支援が必要な人、町への報告")
    c.add_argument("id", nargs="?", help="講座ID")
    c.add_argument("--all", action="store_true", help="すべての講座のまとめ（--program で絞れます）")
    c.add_argument("--program", help="--all のとき、このプログラムの講座だけ（例: wagamama-lab）")
    c.add_argument("--from", dest="date_from", help="期間の始め（2026-04-01）")
    c.add_argument("--to", dest="date_to", help="期間の終わり（2026-05-31）。この日の終わりの時点で数えます（既定: 今）")
    c.add_argument("--idle-days", type=int, default=7, help="この日数、提出がない人を「支援が必要かもしれない人」に入れます")
    c.add_argument("--complete-assignments", type=int, help="修了に必要な課題の数（既定: cohort.json か、すべて）")
    c.add_argument("--complete-percent", type=float, help="修了に数える課題の、自動チェックの得点率（%%）")
    c.add_argument("--output", help="書き出すフォルダ（既定: 講座フォルダの reports/、--all は $WAGAMAMA_HOME/reports/）")
    c.add_argument("--dashboard", help="講師用のダッシュボードのノートを、このファイルに書き出す")
    c.set_defaults(func=cmd_report)

    c = sub.add_parser("doctor", help="この環境で使える部品と、採点の隔離のしかたを表示する")
    c.add_argument("id", nargs="?")
    c.set_defaults(func=cmd_doctor)

    c = sub.add_parser("demo", help="見本の講座を最初から最後まで動かす（ブラウザなし）")
    c.add_argument("--jobs", type=int, default=None)
    c.add_argument("--program", default="wagamama-lab", help="講座プログラム（wagamama-lab, kyoryokutai, sip）")
    c.set_defaults(func=cmd_demo)

    app = sub.add_parser("app", help="アプリの設計を確かめる・App Inventor 用に書き出す・Voilà で公開する"
                         ).add_subparsers(dest="action", required=True)
    c = app.add_parser("check", help="設計（YAML）を確かめる")
    c.add_argument("design", help="設計のファイル（.yaml）")
    c.set_defaults(func=cmd_app)
    c = app.add_parser("export", help="設計（YAML）を App Inventor の .aia に書き出す")
    c.add_argument("design", help="設計のファイル（.yaml）")
    c.add_argument("-o", "--output", default=None, help="書き出すファイル（既定: <アプリ名>.aia）")
    c.set_defaults(func=cmd_app)
    c = app.add_parser("serve", help="ノートを Voilà でアプリとして公開し、QR コードを表示する")
    c.add_argument("notebook")
    c.add_argument("--port", type=int, default=None)
    c.add_argument("--lan", action="store_true", help="同じ Wi-Fi のスマートフォンから開けるようにする")
    c.set_defaults(func=cmd_app)

    hub = sub.add_parser("hub", help="JupyterHub（講座ごとのグループ・採点サービス・受講者の Linux ユーザー）"
                         ).add_subparsers(dest="action", required=True)
    c = hub.add_parser("render", help="講座からハブの設定を作る（何度実行しても安全）")
    c.add_argument("--ip")
    c.add_argument("--port", type=int)
    c.add_argument("--hub-port", dest="hub_port", type=int)
    c.add_argument("--proxy-api-port", dest="proxy_api_port", type=int)
    c.add_argument("--public-url", dest="public_url", help="例: https://lab.example-town.jp/")
    c.add_argument("--auth", choices=["native", "shared-password"])
    c.add_argument("--shared-password", dest="shared_password")
    c.add_argument("--homes", help="受講者のホームを作る場所（既定 /home）")
    c.add_argument("--idle-timeout", dest="idle_timeout", type=int, help="使われていないサーバーを止めるまでの秒数")
    c.add_argument("--model-answers", dest="model_answers", choices=["on", "off"],
                   help="自習用の課題で answer() が見本の答えを見せるか（講師が決めます）")
    c.add_argument("--spawn-concurrency", dest="spawn_concurrency", type=int,
                   help="同時に起動するサーバーの数（bench/hub_bench.py capacity で測った値）")
    c.add_argument("--server-start-seconds", dest="server_start_seconds", type=float,
                   help="サーバー1つの起動にかかる秒数（同じく測った値。待ち時間の上限はこれから決めます）")
    c.set_defaults(func=cmd_hub)
    hub.add_parser("sync", help="講座・採点簿・Linux ユーザー・ハブのグループをそろえる").set_defaults(func=cmd_hub)
    hub.add_parser("start", help="ハブを起動する（root）").set_defaults(func=cmd_hub)
    c = hub.add_parser("add-learner", help="受講者を講座に加える（採点簿・ハブ・Linux ユーザー）")
    c.add_argument("cohort")
    c.add_argument("id")
    c.add_argument("--name", default="", help="氏名（姓と名は空白で区切る）")
    c.set_defaults(func=cmd_hub)
    c = hub.add_parser("add-instructor", help="講師を講座に加える")
    c.add_argument("cohort")
    c.add_argument("id")
    c.set_defaults(func=cmd_hub)
    c = hub.add_parser("warm", help="授業の前に、受講者のサーバーを起動しておく（授業の開始までは止めません）")
    c.add_argument("cohort")
    c.add_argument("--at", help="授業の開始時刻（例: 10:00）。省くと cohort.json の schedule の今日の時刻")
    c.add_argument("--notebook", help="最初に開くノート（例: curriculum/00_hajimete/00_hajimete.ipynb）。カーネルも起動しておきます")
    c.set_defaults(func=cmd_hub)
    c = hub.add_parser("k8s", help="Zero to JupyterHub の values を講座から書き出す")
    c.add_argument("-o", "--output", default="deploy/k8s/values.yaml")
    c.set_defaults(func=cmd_hub)

    c = sub.add_parser("selfstudy", help="一人で学ぶための課題（答えと隠しテストなし、ヒントつき）を作る")
    c.add_argument("action", choices=["build"])
    c.add_argument("dest", nargs="?", default="selfstudy")
    c.set_defaults(func=cmd_selfstudy)
    c = sub.add_parser("progress", help="一人で学ぶときの進みぐあい（このパソコンの記録）")
    c.add_argument("--program", default=None,
                   help="コース（wagamama-lab, oneday, kyoryokutai, sip。既定: 記録から、いま進めているコース）")
    c.add_argument("--chart", help="グラフを保存するファイル（例: progress.png）")
    c.set_defaults(func=cmd_progress)
    c = sub.add_parser("backup", help="一人で学ぶとき: 書いたノート・保存したファイル・進みぐあいを1つのファイルにまとめる")
    c.add_argument("--to", default=None, help="書き出すファイルかフォルダー（既定: 学ぶフォルダーに wagamama-backup-日付.zip）")
    c.add_argument("--root", default=None, help="学ぶフォルダー（既定: curriculum/ か selfstudy/ のあるフォルダー）")
    c.set_defaults(func=cmd_backup)
    c = sub.add_parser("restore", help="一人で学ぶとき: wagamama backup で作ったファイルから、もとにもどす")
    c.add_argument("file", nargs="?", default=None, help="バックアップのファイル（既定: いちばん新しい wagamama-backup-….zip）")
    c.add_argument("--root", default=None, help="学ぶフォルダー（既定: curriculum/ か selfstudy/ のあるフォルダー）")
    c.set_defaults(func=cmd_restore)
    c = sub.add_parser("links", help="ノートを直接開く Binder と nbgitpuller のリンクを作る")
    c.add_argument("--repo", required=True, help="例: https://github.com/example-town/wagamama-lab")
    c.add_argument("--branch", default="main")
    c.add_argument("--notebook", default="curriculum/00_hajimete/00_hajimete.ipynb")
    c.add_argument("--hub", help="nbgitpuller を使う JupyterHub の URL（例: https://lab.example-town.jp）")
    c.set_defaults(func=cmd_links)

    c = sub.add_parser("start", help="このパソコンで JupyterLab を日本語で起動する")
    c.add_argument("cohort", nargs="?", default="demo", metavar="講座ID",
                   help="formgrader で開く講座（既定: 体験用の demo）")
    c.add_argument("--port", type=int, default=8888)
    c.add_argument("--no-browser", action="store_true")
    c.set_defaults(func=cmd_start)
    return p


def _unexpected(exc: BaseException) -> None:
    """Keep the traceback for the operator in a log file; show the person a message."""
    import datetime as dt
    import traceback

    from .locations import home

    log = home() / "logs" / f"error-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    print(f"エラー: 思わぬエラーが起きました（{type(exc).__name__}: {exc}）。"
          f"くわしい記録を {log} に残しました。運用担当の方に、このファイルを見せてください。", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    # nbgrader runs `alembic` and Jupyter helpers by name: find them beside this Python (the venv's bin/).
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # -h, or a mistake argparse explained (in Japanese)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        code = args.func(args)
    except WagamamaError as exc:
        print(f"{exc.label}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n中断しました。もう一度実行すると、続きから進めます。", file=sys.stderr)
        return 130
    except Exception as exc:
        _unexpected(exc)
        return 2
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
