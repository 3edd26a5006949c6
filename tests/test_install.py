"""experta 1.9.4 from PyPI imports and runs on this Python through plain `pip install .`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # builds and installs the package


def test_experta_imports_on_this_python():
    import experta

    from triage import _compat  # noqa: F401

    class Probe(experta.KnowledgeEngine):
        @experta.Rule(experta.Fact(x=1))
        def hit(self):
            self.hits = True

    engine = Probe()
    engine.reset()
    engine.declare(experta.Fact(x=1))
    engine.run()
    assert engine.hits
    assert sys.version_info >= (3, 11)


@pytest.mark.skipif(
    os.environ.get("TRIAGE_SKIP_INSTALL_TEST") == "1", reason="install test disabled"
)
def test_pip_install_in_a_new_venv(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    pip = subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    version = subprocess.run(
        [str(bin_dir / "triage"), "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert version.returncode == 0 and "triage" in version.stdout
    case = tmp_path / "c.yaml"
    case.write_text("answers: {chest_symptoms: yes}\n")
    run = subprocess.run(
        [str(bin_dir / "triage"), "batch", str(case)], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["disposition"] == "emergency"
