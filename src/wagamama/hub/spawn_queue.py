"""A class logs in at once: servers start a few at a time, and the others wait their turn on a progress page.

Starting twenty servers together on two cores makes every one of them slow, and JupyterHub's default
start timeout then shows some learners an error page on their first morning. :class:`QueuedSpawner`
(JupyterHub's local-process spawner plus a queue) lets at most ``concurrent_starts`` servers start at
the same time, first come first served. A learner who waits sees, in Japanese, how many are before them
on the spawn-pending page (templates/spawn_pending.html); their server starts as soon as a place frees.

A place is held until the server answers HTTP, not only until its process exists: the CPU a start costs
is spent in between. The timeouts follow the start time measured on the machine
(``server_start_seconds``, from ``bench/hub_bench.py capacity``), not JupyterHub's defaults:

- one server may take ``START_ALLOWANCE`` times the measured time from its process start until it answers;
- a spawn's ``start_timeout`` covers the rounds of starts before its turn plus its own, so waiting in
  the queue never turns into a timeout.
"""

from __future__ import annotations

import asyncio
import math
import time

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.utils import maybe_future
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from traitlets import Float, Integer

START_ALLOWANCE = 6  # a server slower than 6 × the measured start is stuck (or the machine is overloaded)


class StartQueue:
    """First come, first served, ``slots`` starts at a time. One per hub (the hub runs one event loop)."""

    def __init__(self) -> None:
        self.slots = 1
        self.starting: set = set()
        self.waiting: list = []  # [(spawner, future)] in order of arrival

    def ahead(self, spawner) -> int:
        """How many starts come before this spawner's (those starting now and those waiting before it)."""
        for i, (s, _) in enumerate(self.waiting):
            if s is spawner:
                return len(self.starting) + i
        return len(self.starting) + len(self.waiting) if spawner not in self.starting else 0

    def join(self, spawner) -> asyncio.Future:
        turn = asyncio.get_running_loop().create_future()
        if len(self.starting) < self.slots and not self.waiting:
            self.starting.add(spawner)
            turn.set_result(None)
        else:
            self.waiting.append((spawner, turn))
        return turn

    def leave(self, spawner) -> None:
        """The spawner's start is over (ready, failed or cancelled), or it stopped waiting."""
        self.starting.discard(spawner)
        self.waiting = [(s, t) for s, t in self.waiting if s is not spawner]
        while self.waiting and len(self.starting) < self.slots:
            s, turn = self.waiting.pop(0)
            self.starting.add(s)
            turn.set_result(None)


QUEUE = StartQueue()


class QueuedSpawner(LocalProcessSpawner):
    concurrent_starts = Integer(2, config=True, help="Servers that may start at the same time (measured).")
    server_start_seconds = Float(10.0, config=True,
                                 help="Measured time (p95) of one server start at concurrent_starts on this machine.")

    _events: list

    @property
    def start_limit(self) -> float:
        """How long one server may take from its process start until it answers HTTP."""
        return START_ALLOWANCE * self.server_start_seconds

    def _event(self, progress: int, message: str) -> None:
        self._events.append({"progress": progress, "message": message})

    async def run_pre_spawn_hook(self):
        # Awaited just before JupyterHub reads start_timeout: the rounds of starts before this one, then its own.
        await maybe_future(super().run_pre_spawn_hook())
        QUEUE.slots = max(1, self.concurrent_starts)
        rounds = QUEUE.ahead(self) // QUEUE.slots + 1
        self.start_timeout = math.ceil(rounds * self.start_limit) + 10
        self.http_timeout = math.ceil(self.start_limit)
        self._events = []

    async def _take_turn(self) -> None:
        turn = QUEUE.join(self)
        said = None
        while not turn.done():
            ahead = QUEUE.ahead(self)
            if ahead != said:
                wait = math.ceil(ahead / QUEUE.slots) * self.server_start_seconds
                self._event(10, f"順番を待っています。前に {ahead} 人います（あと {math.ceil(wait)} 秒ぐらい）。"
                                "このページのまま、お待ちください。")
                said = ahead
            try:
                await asyncio.wait_for(asyncio.shield(turn), timeout=1)
            except TimeoutError:
                pass

    async def _wait_until_it_answers(self, ip: str, port: int) -> None:
        url = f"http://{ip}:{port}{self.server.base_url}api"
        client = AsyncHTTPClient()
        deadline = time.monotonic() + self.start_limit
        pause = 0.1
        while time.monotonic() < deadline:
            if await self.poll() is not None:
                raise RuntimeError("サーバーが起動の途中で止まりました。もう一度「起動」を押してください。"
                                   f"（server process exited; see the hub log for {self.user.name}）")
            try:
                response = await client.fetch(url, raise_error=False, request_timeout=5)
                if response.code != 599:
                    return
            except (OSError, HTTPClientError):  # not listening yet
                pass
            await asyncio.sleep(pause)
            pause = min(0.5, pause * 1.5)
        raise TimeoutError(f"サーバーが {self.start_limit:.0f} 秒たっても応答しません。"
                           f"（no answer from {url} within {self.start_limit:.0f} s）")

    async def start(self):
        if not hasattr(self, "_events"):
            self._events = []
        t0 = time.monotonic()
        try:
            await self._take_turn()
            t1 = time.monotonic()
            self._event(40, "サーバーを起動しています。")
            ip, port = await super().start()
            await self._wait_until_it_answers(ip, port)
            self._event(90, "サーバーが起動しました。JupyterLab を開きます。")
            # bench/hub_bench.py capacity reads this line
            self.log.info("Start of %s: waited %.1fs in line, started in %.1fs (%d at a time)",
                          self.user.name, t1 - t0, time.monotonic() - t1, QUEUE.slots)
            return ip, port
        finally:
            QUEUE.leave(self)

    async def progress(self):
        sent = 0
        while True:
            while sent < len(getattr(self, "_events", [])):
                yield self._events[sent]
                sent += 1
            if not self._spawn_pending:
                break
            await asyncio.sleep(0.5)
