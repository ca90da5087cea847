"""A learner alone keeps her work and is spoken to as one: save and restore in one file, the ending of each
self-study copy, a self-check against the rubric, links that open the right folder, the conda environment."""

import json
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import REPO

from wagamama import progress
from wagamama.backup import learning_folder, restore
from wagamama.cli import main
from wagamama.links import nbgitpuller_url
from wagamama.selfstudy_ending import adapt, next_step, rubric_check


def test_environment_yml_at_the_top_is_binders():
    top = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    binder = yaml.safe_load((REPO / "binder" / "environment.yml").read_text(encoding="utf-8"))
    assert top == binder


@pytest.mark.parametrize("repo, folder", [
    ("https://github.com/example-town/x.git", "x"),
    ("https://github.com/example-town/wagamama-lab", "wagamama-lab"),
    ("https://gitlab.example.jp/town/wagamama-lab.git/", "wagamama-lab"),
])
def test_nbgitpuller_opens_the_notebook_in_the_folder_it_clones_into(repo, folder):
    from urllib.parse import parse_qs, urlsplit

    url = nbgitpuller_url("https://lab.example-town.jp/", repo, "main", "curriculum/05_sekkei/05_sekkei.ipynb")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["targetpath"] == folder and query["repo"] == repo
    assert query["urlpath"] == f"lab/tree/{folder}/curriculum/05_sekkei/05_sekkei.ipynb"


def her_workspace(root: Path) -> dict[str, bytes]:
    """A learning folder as Binder has it, with her work in it."""
    files = {
        "curriculum/01_kakidasu/01_kakidasu.ipynb": nbformat.writes(nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell('diary = [{"場面": "ごみ出し"}]')])).encode(),
        "curriculum/01_kakidasu/my_wagamama.json": json.dumps([{"場面": "ごみ出し"}], ensure_ascii=False).encode(),
        "curriculum/05_sekkei/my_sekkei.json": json.dumps({"設計": {"app": "gomi"}}, ensure_ascii=False).encode(),
        "curriculum/06_app/app_data/gomi/TinyDB1.json": json.dumps({"itsu": "水2 水4"}, ensure_ascii=False).encode(),
        "selfstudy/ex06_app/my_app.json": b'{"\xe5\xbd\xa2\xe5\xbc\x8f": "wagamama-app 1"}',
        "selfstudy/ex09_happyou/my_pitch.md": "# 資源ごみの日を忘れない\n".encode(),
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "exercises" / "ex06_app").mkdir(parents=True)
    (root / "exercises" / "ex06_app" / "ex06_app.ipynb").write_text("solutions", encoding="utf-8")
    (root / "pyproject.toml").write_text("[project]", encoding="utf-8")
    (root / "src" / "wagamama").mkdir(parents=True)
    return files


def test_save_fresh_home_restore_brings_back_notebooks_files_and_progress(tmp_path, monkeypatch, capsys):
    old = tmp_path / "session1"
    old.mkdir()
    files = her_workspace(old)
    monkeypatch.setenv("WAGAMAMA_PROGRESS", str(tmp_path / "home1" / ".wagamama" / "progress.json"))
    progress.part("ex06_app", "miseru_check")
    progress.passed("ex06_app", "miseru_check")
    monkeypatch.chdir(old / "curriculum" / "06_app")
    assert learning_folder() == old
    main(["backup"])
    made = sorted(old.glob("wagamama-backup-*.zip"))
    assert len(made) == 1 and "ダウンロード" in capsys.readouterr().out
    with zipfile.ZipFile(made[0]) as z:
        names = set(z.namelist())
    assert set(files) <= names and "_progress/progress.json" in names
    assert not any(n.startswith(("exercises/", "src/")) or n == "pyproject.toml" for n in names)

    # a fresh session: the clean course material, another home, the backup uploaded
    new = tmp_path / "session2"
    (new / "curriculum" / "01_kakidasu").mkdir(parents=True)
    (new / "selfstudy").mkdir()
    (new / "curriculum" / "01_kakidasu" / "01_kakidasu.ipynb").write_text("clean", encoding="utf-8")
    monkeypatch.setenv("WAGAMAMA_PROGRESS", str(tmp_path / "home2" / ".wagamama" / "progress.json"))
    progress.part("ex00_hajimete", "q0_check")
    progress.passed("ex00_hajimete", "q0_check")
    monkeypatch.chdir(new)
    written = restore(made[0].read_bytes())  # as the upload button does
    for name, data in files.items():
        assert (new / name).read_bytes() == data, name
    assert len(written) == len(files)
    kept = progress.load()
    assert kept["ex06_app"]["miseru_check"]["state"] == "done" and kept["ex00_hajimete"]["q0_check"]["state"] == "done"
    aside = list(new.glob("restore-まえ-*/curriculum/01_kakidasu/01_kakidasu.ipynb"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == "clean"
    # the command line finds the newest uploaded backup by itself
    (new / made[0].name).write_bytes(made[0].read_bytes())
    main(["restore"])
    assert "もとにもどしました" in capsys.readouterr().out


def test_restore_refuses_other_zips_and_paths_outside(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "selfstudy").mkdir()
    monkeypatch.setenv("WAGAMAMA_PROGRESS", str(tmp_path / "p.json"))
    other = tmp_path / "x.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("a.txt", "x")
    with pytest.raises(Exception, match="バックアップではありません"):
        restore(other)
    evil = tmp_path / "wagamama-backup-evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("wagamama-backup.json", "{}")
        z.writestr("../outside.txt", "x")
        z.writestr("/etc/owned", "x")
        z.writestr("selfstudy/ok.txt", "ok")
    assert [p.name for p in restore()] == ["ok.txt"]
    assert not (tmp_path.parent / "outside.txt").exists()


def test_a_self_study_copy_speaks_to_a_learner_alone():
    nb = nbformat.read(REPO / "exercises" / "ex09_happyou" / "ex09_happyou.ipynb", as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell("from wagamama.selfstudy import answer, hint", id="selfstudy-setup"))
    adapt(nb, "ex09_happyou")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Nbgrader" not in text and "Submit" not in text and "講師が読" not in text and "講師に届" not in text
    assert "提出はありません" in text and "ルーブリックで自分で確かめます" in text
    assert nb.cells[2].id == "selfstudy-backup" and "save_button()" in nb.cells[2].source
    after = [c for i, c in enumerate(nb.cells) if i and nb.cells[i - 1].metadata.get("nbgrader", {}).get("grade_id") == "furikaeri"]
    assert after and "rubric_check('furikaeri')" in after[0].source
    assert "次は、ノート「動くアプリをつくる」（`curriculum/06_app/06_app.ipynb`）" in next_step("ex05_sekkei")
    assert "次は、ノート「ワガママを書き出す」" in next_step("ex00_hajimete")
    assert next_step("ex01_wagamama") == "次は、課題「優先順位を確かめる」（`selfstudy/ex02_yusen/ex02_yusen.ipynb`）です。"
    assert "全部おわりです" in next_step("ex09_happyou")


def test_rubric_self_check_reads_her_saved_answer(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "ex09_happyou"
    folder.mkdir()
    monkeypatch.chdir(folder)
    nb = nbformat.read(REPO / "exercises" / "ex09_happyou" / "ex09_happyou.ipynb", as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "furikaeri")
    answer.source = "ここに答えを書きます。"
    nbformat.write(nb, folder / "ex09_happyou.ipynb")
    rubric_check("furikaeri")
    assert "まだ書いていないか" in capsys.readouterr().out
    answer.source = "2人が曜日の選び方で迷いました。「土曜はどうするの」と聞かれました。次は、土曜を足します。"
    nbformat.write(nb, folder / "ex09_happyou.ipynb")  # what she wrote, saved with Ctrl+S
    rubric_check("furikaeri")
    out = capsys.readouterr().out
    assert "あなたの答え（保存したノートから）: 3文" in out and "【3】反応を受け止め、次の一歩がある" in out
    assert "【1】自分の感想だけ" in out and "近づけるヒント" in out
