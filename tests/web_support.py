"""What the web tests share: an in-process client, and a server process."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from starlette.testclient import TestClient

from triage.service import Triage
from triage.web.app import create_app
from triage.web.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def client(triage: Triage | None = None, **settings) -> TestClient:
    """A client of the app, in this process (no server, no socket)."""
    app = create_app(Settings(**settings), triage)
    return TestClient(app, raise_server_exceptions=False)


DEADLINE = 60  # seconds for a state to be reached on a busy machine; never slept through


class Server:
    """A ``triage serve`` process; its output read line by line as it comes."""

    def __init__(self, *args: str, env: dict | None = None):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "triage", "serve", "--port", "0", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.seen: list[str] = []
        for name in ("stdout", "stderr"):
            stream = getattr(self.proc, name)
            threading.Thread(target=self._pump, args=(name, stream), daemon=True).start()
        line = self.wait_for("triage serve: http://", "stdout")
        self.url = line.split()[2]

    def _pump(self, name: str, stream) -> None:
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))
        self.lines.put((name, None))

    def wait_for(self, text: str, stream: str = "stderr") -> str:
        """The first line (from now) of ``stream`` containing ``text``."""
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            try:
                name, line = self.lines.get(timeout=end - time.monotonic())
            except queue.Empty:
                break
            if line is None:
                continue
            self.seen.append(line)
            if name == stream and text in line:
                return line
        raise AssertionError(f"never saw {text!r}; output: {self.seen[-20:]}")

    def post(self, path: str, doc, query: str = "") -> dict:
        request = urllib.request.Request(
            self.url + path + query,
            data=json.dumps(doc).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=DEADLINE) as response:
            return json.loads(response.read())

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=DEADLINE) as response:
            return json.loads(response.read())

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=DEADLINE)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
