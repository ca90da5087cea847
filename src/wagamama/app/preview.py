"""A live, clickable app inside the notebook (and on the Voilà page): ipywidgets in a phone-shaped frame.

Each component gets one widget kept in step both ways: a handler that sets ``Label1.Text`` changes the
label on screen, typing in a text box sets ``TextBox1.Text``. An error in a handler is shown inside
the frame in Japanese (ipywidgets would otherwise hide it), and the app keeps running.
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

import ipywidgets as widgets

from ..check import explain
from .components import App, Component, DesignError, Screen

CSS = """<style>
.wagamama-phone { border: 10px solid #2b2b2b; border-radius: 28px; background: #fff; }
.wagamama-title { background: #3f51b5; color: #fff; padding: 6px 10px; align-items: center; }
.wagamama-title .widget-html-content { color: #fff; }
.wagamama-alert { background: #333; color: #fff; border-radius: 8px; padding: 8px; }
.wagamama-error { background: #fdecea; color: #611a15; border-radius: 6px; padding: 6px; white-space: pre-wrap; }
.wagamama-label { white-space: pre-wrap; }
</style>"""
FULL = widgets.Layout(width="auto")


class Preview:
    """The widgets of one app; ``widget`` is what the notebook displays."""

    def __init__(self, app: App):
        self.app = app
        self.widgets: dict[str, widgets.Widget] = {}
        self.title = widgets.HTML(layout=widgets.Layout(flex="1"))
        self.back = widgets.Button(description="◀", tooltip="もどる（前の画面へ）", layout=widgets.Layout(width="40px"))
        self.back.on_click(lambda _: app.close_screen())
        self.body = widgets.VBox(layout=widgets.Layout(padding="8px", min_height="420px"))
        self.message = widgets.HTML()
        self.hidden = widgets.HTML()
        bar = widgets.HBox([self.back, self.title])
        bar.add_class("wagamama-title")
        frame = widgets.VBox([bar, self.body, self.message], layout=widgets.Layout(width="340px"))
        frame.add_class("wagamama-phone")
        self.widget = widgets.VBox([widgets.HTML(CSS), frame, self.hidden])
        self._timers: list[asyncio.Task] = []
        app._watchers.append(self.show)
        self.show(app.current_screen)
        screen = app.current_screen  # the app opens: Screen1's Initialize (reading what was saved) runs
        if "Initialize" in screen.handlers:
            self._run(screen, "Initialize", lambda: screen.fire("Initialize"))

    # --- building ------------------------------------------------------------------------------
    def show(self, screen: Screen) -> None:
        for task in self._timers:
            task.cancel()
        self._timers = []
        self.title.value = f"<b>{html.escape(screen.Title)}</b>"
        self.back.layout.display = "" if self.app._stack else "none"
        self.body.children = [self._build(c) for c in screen.children if c.kind.visible]
        invisible = [c for c in screen.walk() if not c.kind.visible]
        self.hidden.value = ("<small>見えない部品: " + "、".join(f"{c.name}（{c.kind.label}）" for c in invisible)
                             + "</small>") if invisible else ""
        self.message.value = ""
        for c in invisible:
            if c.type == "Notifier" and c.name not in self.widgets:
                self.widgets[c.name] = self.message
                c.watch(self._alert)
            if c.type == "Clock" and self._loop():
                self._timers.append(self._loop().create_task(self._clock(c)))

    @staticmethod
    def _loop():
        try:
            return asyncio.get_running_loop()  # the kernel's loop; none when used from plain Python
        except RuntimeError:
            return None

    def _build(self, c: Component) -> widgets.Widget:
        widget = getattr(self, f"_make_{c.type}")(c)
        widget.tooltip = c.name  # hovering shows the component's name, as in App Inventor's designer
        self.widgets[c.name] = widget
        return widget

    def _sync(self, c: Component, widget, pairs: dict[str, str]) -> None:
        """Keep ``widget.<trait>`` equal to ``c.<Property>`` for each pair, in both directions."""
        def from_app(key, value):
            if key in pairs:
                setattr(widget, pairs[key], self._to_widget(c, key, value))
        c.watch(from_app)

    @staticmethod
    def _to_widget(c: Component, key: str, value):
        if c.type == "Label" and key == "Text":
            return f'<div class="wagamama-label">{html.escape(str(value))}</div>'
        return value

    def _make_Label(self, c):
        w = widgets.HTML(self._to_widget(c, "Text", c.Text), layout=FULL)
        self._sync(c, w, {"Text": "value"})
        return w

    def _make_Button(self, c):
        w = widgets.Button(description=c.Text, disabled=not c.Enabled, layout=FULL)
        self._sync(c, w, {"Text": "description"})
        c.watch(lambda key, value: setattr(w, "disabled", not value) if key == "Enabled" else None)
        w.on_click(lambda _: self._run(c, "Click", c.click))
        return w

    def _make_TextBox(self, c):
        make = widgets.Textarea if c.MultiLine else widgets.Text
        w = make(value=c.Text, placeholder=c.Hint, layout=FULL)
        self._sync(c, w, {"Text": "value", "Hint": "placeholder"})
        w.observe(lambda change: self._typed(c, "Text", change["new"]), "value")
        return w

    def _make_ListView(self, c):
        w = widgets.Select(options=list(c.Elements), value=c.Selection if c.Selection in c.Elements else None,
                           rows=min(max(len(c.Elements), 2), 6), layout=FULL)

        def from_app(key, value):
            if key == "Elements":
                w.options = list(value)
            if key in ("Elements", "Selection"):
                w.value = c.Selection if c.Selection in w.options else None
        c.watch(from_app)

        def picked(change):
            if change["new"] is not None and change["new"] != c.Selection:
                self._run(c, "AfterPicking", lambda: c.pick(change["new"]))
        w.observe(picked, "value")
        return w

    def _make_CheckBox(self, c):
        w = widgets.Checkbox(value=c.Checked, description=c.Text, indent=False)
        self._sync(c, w, {"Text": "description", "Checked": "value"})
        w.observe(lambda change: self._run(c, "Changed", c.toggle) if change["new"] != c.Checked else None, "value")
        return w

    def _make_DatePicker(self, c):
        w = widgets.DatePicker(description=c.Text)
        w.observe(lambda change: self._run(c, "AfterDateSet", lambda: c.pick_date(change["new"]))
                  if change["new"] else None, "value")
        return w

    def _make_Image(self, c):
        if c.Picture and Path(c.Picture).is_file():
            return widgets.Image(value=Path(c.Picture).read_bytes(), layout=widgets.Layout(max_width="100%"))
        return widgets.HTML(f"<div>🖼 {html.escape(c.Picture or c.name)}</div>")

    def _make_HorizontalArrangement(self, c):
        return widgets.HBox([self._build(child) for child in c.children])

    def _make_VerticalArrangement(self, c):
        return widgets.VBox([self._build(child) for child in c.children])

    # --- running -------------------------------------------------------------------------------
    def _typed(self, c: Component, key: str, value) -> None:
        if getattr(c, key) != value:
            with self.app.running():
                setattr(c, key, value)

    def _run(self, c: Component, event: str, action) -> None:
        self.message.value = ""
        try:
            action()
        except Exception as e:  # the learner's handler: show the error, keep the app alive
            why = str(e) if isinstance(e, DesignError | AttributeError) and not str(e).isascii() else explain(e)
            self.message.value = ('<div class="wagamama-error">⚠️ ' + html.escape(
                f"{c.name} の「{event}」の動きで、エラーが起きました。{why}") + "</div>")

    def _alert(self, key, value) -> None:
        if key == "alert":
            self.message.value = f'<div class="wagamama-alert">{html.escape(value)}</div>'

    async def _clock(self, clock: Component) -> None:
        while True:
            await asyncio.sleep(max(clock.TimerInterval, 100) / 1000)
            if clock.TimerEnabled and clock.handlers:
                self._run(clock, "Timer", clock.tick)


def preview(app: App) -> widgets.Widget:
    """The app as clickable widgets in a phone frame; display it as a cell's last line."""
    return Preview(app).widget
