"""What the web tests share: an in-process client, and a rule base with a group of questions."""

from __future__ import annotations

import shutil
from pathlib import Path

from starlette.testclient import TestClient

from triage.knowledge import bundled_rules_dir
from triage.service import Triage
from triage.web.app import create_app
from triage.web.settings import Settings

GROUP = {
    "id": "g",
    "title": "Do you have any of these?",
    "members": ["saddle_numbness", "bladder_bowel_change"],
}


def client(triage: Triage | None = None, **settings) -> TestClient:
    """A client of the app, in this process (no server, no socket)."""
    app = create_app(Settings(**settings), triage)
    return TestClient(app, raise_server_exceptions=False)


def grouped_rules(dest: Path) -> Path:
    """A copy of the bundled rule base whose catalogue asks two red flags on one screen."""
    shutil.copytree(bundled_rules_dir(), dest)
    questions = dest / "questions.yaml"
    members = ", ".join(GROUP["members"])
    questions.write_text(
        questions.read_text()
        + f'\ngroups:\n  - {{id: {GROUP["id"]}, title: "{GROUP["title"]}", members: [{members}]}}\n'
    )
    return dest
