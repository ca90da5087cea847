"""The app served by Voilà works in a real browser: Debian's chromium, driven by Playwright, on 127.0.0.1."""

import shutil

import nbformat
import pytest
from conftest import need

from wagamama.app.serve import start_voila

APP = '''from wagamama.app import App
app = App("dengon", AppName="伝言メモ")
s = app.screen("Screen1", Title="伝言メモ")
box = s.add("TextBox", "TextBox1", Hint="ここに伝言を書きます")
botan = s.add("Button", "Button1", Text="メモする")
hyouji = s.add("Label", "Label1", Text="伝言はまだありません。")
db = s.add("TinyDB", "TinyDB1")
s.add("Notifier", "Notifier1")


@botan.on_click
def memo():
    db.store_value("dengon", box.Text)
    hyouji.Text = "伝言: " + db.get_value("dengon")
    app["Notifier1"].show_alert("保存しました")


app.preview()'''


@pytest.mark.slow
def test_voila_page_loads_clicks_and_changes_the_label(tmp_path):
    chromium = shutil.which("chromium")
    need(chromium is not None, "chromium", "sudo make system-deps")
    from playwright.sync_api import sync_playwright

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(APP)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "dengon.ipynb")
    with open(tmp_path / "voila.log", "w") as log:
        proc, url = start_voila(tmp_path / "dengon.ipynb", log=log)
    try:
        assert url.startswith("http://127.0.0.1:")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(url)
            page.get_by_text("伝言はまだありません。").wait_for(timeout=90_000)
            page.get_by_placeholder("ここに伝言を書きます").fill("回覧板は田中さんへ")
            page.get_by_role("button", name="メモする").click()
            page.get_by_text("伝言: 回覧板は田中さんへ").wait_for(timeout=15_000)
            page.get_by_text("保存しました").wait_for(timeout=5_000)
            page.screenshot(path=tmp_path / "voila.png")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # the page's kernel ran in the notebook's folder: the store is beside it
    assert "回覧板は田中さんへ" in (tmp_path / "app_data" / "dengon" / "TinyDB1.json").read_text(encoding="utf-8")
    assert (tmp_path / "voila.png").stat().st_size > 10_000
