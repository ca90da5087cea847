"""Real Unix accounts and folder permissions for a hub on one server (run as root).

- every learner and instructor is a Unix user with a private home (0700): nbgrader takes the student
  id from the Unix user, and one learner cannot read another's files;
- learners of cohort ``<id>`` are in the Unix group ``nbgrader-<id>``; the cohort's exchange folder
  belongs to ``grader-<id>`` and that group (2750), so other cohorts cannot even list it (nbgrader
  releases only into a folder the releaser owns: ``wagamama release`` run by root switches to the grader);
- the cohort's course folder (gradebook, submissions) belongs to ``grader-<id>`` only (0750), the
  account its formgrader runs as; learner code graded there never runs as that account: a sudoers rule
  lets ``grader-<id>`` start the grading launcher (and nothing else) as root, which runs each kernel
  under a uid of its own, and the cohort's sandbox refuses to grade without it (``separate_user``);
- instructor material (exercises/ with solutions and hidden tests, grading/ with the typical answers,
  tests/, bench/ and the git history) is not readable by learners;
- on each login the curriculum is copied into the learner's home: missing files only, so a learner's
  edits are never overwritten and new lessons still arrive.

Every step checks first, so running it again changes nothing that is already right.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
from pathlib import Path

from .. import manual_grading, start
from ..cohort import open_cohort
from ..errors import WagamamaError
from ..learner_ids import UNIX_NAME
from ..locations import exchange_dir
from .plan import HubPlan, learner_group


def _run(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise WagamamaError(f"{' '.join(args[:2])} が失敗しました: {done.stderr.strip()}",
                            f"{args[0]} failed: {done.stderr.strip()}")


def _exists(getter, name: str) -> bool:
    try:
        getter(name)
        return True
    except KeyError:
        return False


def check_unix_name(name: str) -> None:
    """Accounts and groups follow the one ID rule of learner_ids.py (learners were checked at import)."""
    if not UNIX_NAME.match(name):
        raise WagamamaError(f"「{name}」は Linux のユーザー名にできません。半角の小文字の英字で始まり、32文字以内にします。",
                            f"{name!r} is not a valid Unix user name")


def ensure_group(name: str) -> None:
    check_unix_name(name)
    if not _exists(grp.getgrnam, name):
        _run("groupadd", name)


def ensure_user(name: str, home: Path, groups: list[str] = (), system: bool = False) -> None:
    """Create the user once; add missing supplementary groups; keep the home private."""
    check_unix_name(name)
    if not _exists(pwd.getpwnam, name):
        if system:
            _run("useradd", "--system", "--no-create-home", "--home-dir", str(home), "--shell", "/usr/sbin/nologin",
                 "--user-group", name)
        else:
            home.parent.mkdir(parents=True, exist_ok=True)
            _run("useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash", "--user-group", name)
    if system and pwd.getpwnam(name).pw_dir != str(home):
        _run("usermod", "--home", str(home), name)
    have = {g.gr_name for g in grp.getgrall() if name in g.gr_mem}
    for group in groups:
        if group not in have:
            _run("usermod", "--append", "--groups", group, name)
    if not system:
        os.chmod(pwd.getpwnam(name).pw_dir, 0o700)


def _own(path: Path, user: str, group: str, mode: int) -> None:
    uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), uid, gid)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def _grader_owns_collect(config: Path) -> None:
    """On a hub every learner is their own Unix user: nbgrader's owner check on collect is meaningful."""
    text = config.read_text(encoding="utf-8")
    fixed = text.replace("c.ExchangeCollect.check_owner = False", "c.ExchangeCollect.check_owner = True")
    if fixed != text:
        config.write_text(fixed, encoding="utf-8")


def _grade_as_another_user(cohort) -> None:
    """The cohort's sandbox refuses to run learner code as its grader account (the gradebook's owner)."""
    sandbox = cohort.meta.setdefault("sandbox", {})
    if not sandbox.get("separate_user"):
        sandbox["separate_user"] = True
        cohort.save()


SUDOERS = Path("/etc/sudoers.d/wagamama-grading")


def write_sudoers(graders: list[str]) -> None:
    """Each cohort's grader account may start the grading launcher as root, with any arguments (the
    launcher checks them), and nothing else. Checked with visudo before it is put in place."""
    from ..grading.sandbox import launcher_command

    command = " ".join(launcher_command()) + " *"
    text = "# Written by `wagamama hub render`: the grading launcher, for each cohort's grader account.\n"
    text += "".join(f"{g} ALL=(root) NOPASSWD: {command}\n" for g in sorted(graders))
    if SUDOERS.exists() and SUDOERS.read_text() == text:
        return
    tmp = SUDOERS.with_name(".wagamama-grading.tmp")
    tmp.write_text(text)
    os.chmod(tmp, 0o440)
    check = subprocess.run(["visudo", "-c", "-f", str(tmp)], capture_output=True, text=True)
    if check.returncode != 0:
        tmp.unlink()
        raise WagamamaError(f"sudo の設定を作れませんでした: {check.stdout.strip()} {check.stderr.strip()}",
                            "visudo refused the sudoers file")
    tmp.replace(SUDOERS)


def protect_instructor_material() -> None:
    """Solutions, hidden tests and typical answers stay with root and the instructors' tools."""
    from ..locations import content_root

    for name in ("exercises", "grading", "tests", "bench", ".git"):
        folder = content_root() / name
        if folder.is_dir() and not folder.is_symlink():
            os.chmod(folder, folder.stat().st_mode & 0o7750)


def prepare(plan: HubPlan, homes: Path) -> None:
    """Users, groups, homes and folder permissions for every cohort in the plan."""
    exchange = exchange_dir()
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o1777)  # nbgrader wants 777 here; the sticky bit keeps others' entries safe
    for c in plan.cohorts:
        ensure_group(learner_group(c.id))
        cohort = open_cohort(c.id)
        ensure_user(c.grader, cohort.path, system=True)  # the formgrader's home is the course folder
        for learner in c.learners:
            ensure_user(learner, homes / learner, [learner_group(c.id)])
        for instructor in c.instructors:
            ensure_user(instructor, homes / instructor)
        _grader_owns_collect(cohort.path / "nbgrader_config.py")
        _grade_as_another_user(cohort)
        manual_grading.install(cohort)  # the grading page and the rubrics, also in cohorts made before them
        _own(cohort.path, c.grader, c.grader, 0o750)
        course_exchange = exchange / c.id
        course_exchange.mkdir(exist_ok=True)
        _own(course_exchange, c.grader, learner_group(c.id), 0o2750)
    for folder in (exchange.parent, exchange.parent / "cohorts"):
        os.chmod(folder, 0o755)
    write_sudoers([c.grader for c in plan.cohorts])
    protect_instructor_material()


def copy_curriculum(user: str) -> list[Path]:
    """Before each start of a learner's server: the lessons they do not have yet, owned by them."""
    entry = pwd.getpwnam(user)
    created = start.copy_curriculum(Path(entry.pw_dir))
    for path in created:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return created


def remove_user(name: str) -> None:
    """Only for tests and for removing a mistaken account: the home goes too."""
    if _exists(pwd.getpwnam, name):
        subprocess.run(["userdel", "--remove", name], capture_output=True)
    if _exists(grp.getgrnam, name):
        subprocess.run(["groupdel", name], capture_output=True)
