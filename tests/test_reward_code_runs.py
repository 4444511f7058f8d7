"""`reward test` with code rewards: snippets run side by side (`--concurrency`), a snippet that keeps
hitting the time limit is not run on every remaining response, progress is drawn on a terminal, and
SIGTERM or SIGHUP stops tunectl without leaving a snippet's process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ops.cli import run
from ops.reinforcement.score import MAX_CODE_TIMEOUTS
from tests import test_progress
from tests.quota_fixtures import isolate_config, run_json
from tests.test_progress import Terminal

screen = test_progress.terminal  # a fixture: a stderr that says it is a terminal

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "arithmetic-reinforcement"
TRAIN = str(SAMPLE / "train.jsonl")
RESPONSES = str(SAMPLE / "responses.jsonl")  # 40 responses, one per example
LOOP = "def evaluate(example, response):\n    while True:\n        pass\n"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_config(monkeypatch, tmp_path)
    for name in ("TUNECTL_PROJECT", "GOOGLE_CLOUD_PROJECT", "TUNECTL_VERTEX_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


def code_config(tmp_path: Path, snippet: str) -> str:
    path = tmp_path / "code.json"
    path.write_text(
        json.dumps({"singleRewardConfig": {"codeExecutionRewardScorer": {"pythonCodeSnippet": snippet}}}),
        encoding="utf-8",
    )
    return str(path)


def reward_test(config: str, *extra: str) -> list[str]:
    return ["reward", "test", "--reward-config", config, "--dataset", TRAIN, "--responses", RESPONSES, *extra]


def test_code_snippets_run_side_by_side_up_to_concurrency(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Each call leaves a mark and waits (up to 5 s) for a second call's mark: only calls that run at
    # the same time both see two marks in time.
    marks = tmp_path / "marks"
    marks.mkdir()
    snippet = (
        "import os, time\n"
        "def evaluate(example, response):\n"
        f"    marks = {str(marks)!r}\n"
        "    open(os.path.join(marks, str(os.getpid())), 'w').close()\n"
        "    end = time.monotonic() + 5\n"
        "    while time.monotonic() < end:\n"
        "        if len(os.listdir(marks)) >= 2:\n"
        "            return 1.0\n"
        "        time.sleep(0.01)\n"
        "    return 0.0\n"
    )
    two = tmp_path / "two.jsonl"
    two.write_text('{"example": 1, "response": "a"}\n{"example": 2, "response": "b"}\n', encoding="utf-8")
    args = ["reward", "test", "--reward-config", code_config(tmp_path, snippet), "--dataset", TRAIN]
    status, data, _ = run_json(capsys, *args, "--responses", str(two), "--concurrency", "2")
    assert data["rewards"][0]["scored"] == 2 and data["rewards"][0]["mean"] == 1.0, data
    assert status == 1 and data["verdict"] == "constant"  # both 1.0: the reward cannot separate


def test_after_three_timeouts_a_snippet_is_not_run_on_the_rest(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = reward_test(code_config(tmp_path, LOOP), "--code-timeout", "0.2", "--concurrency", "1")
    started = time.monotonic()
    status, data, err = run_json(capsys, *args)
    assert time.monotonic() - started < 5  # 40 x 0.2 s before: each response paid the limit
    reward = data["rewards"][0]
    assert (reward["errors"], reward["unknown"], reward["verdict"]) == (MAX_CODE_TIMEOUTS, 37, "errors")
    assert status == 1 and data["verdict"] == "errors"
    assert "hit the time limit (0.2 s, --code-timeout) on 3 responses, so it was not run on the rest" in err


def test_a_progress_bar_counts_the_scores_on_a_terminal(
    offline: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], screen: Terminal
) -> None:
    screen.take()
    args = reward_test(str(SAMPLE / "reward-composite.yaml"), "--format", "json")
    assert run(args) == 0
    json.loads(capsys.readouterr().out)  # stdout holds the report alone
    assert "scoring" in screen.getvalue() and "/80" in screen.getvalue()


def test_errors_of_single_responses_go_to_stderr_in_text_mode(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 15 (line 1) divides by zero; 35 (line 2) scores -0.2
    snippet = (
        "def evaluate(example, response):\n    return 1 / (int(example['references']['answer']) % 3) - 0.7"
    )
    capsys.readouterr()
    status = run(reward_test(code_config(tmp_path, snippet)))
    out, err = capsys.readouterr()
    assert status == 1 and "verdict: errors" in out and "error:" not in out
    assert "error: example 1 (responses line 1), reward reward: evaluate raised ZeroDivisionError" in err
    assert "example 2 " not in err


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # a zombie is gone in all but name
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def _wait(condition: object, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see the snippet's process")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_tunectl_and_the_snippet_it_runs(tmp_path: Path, sig: signal.Signals) -> None:
    started = tmp_path / "started"
    snippet = (
        "import os\n"
        "def evaluate(example, response):\n"
        f"    with open({str(started)!r}, 'w') as mark:\n"
        "        mark.write(str(os.getpid()))\n"
        "    while True:\n"
        "        pass\n"
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config-home"), "NO_COLOR": "1"}
    for name in ("TUNECTL_CONFIG", "TUNECTL_PROJECT", "GOOGLE_CLOUD_PROJECT"):
        env.pop(name, None)
    tunectl = subprocess.Popen(
        [sys.executable, "-m", "ops", *reward_test(code_config(tmp_path, snippet), "--concurrency", "1")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait(lambda: started.exists() and started.read_text()), "the snippet never started"
        worker = int(started.read_text())
        assert _alive(worker)
        tunectl.send_signal(sig)
        _, err = tunectl.communicate(timeout=10)
    finally:
        tunectl.kill()
        tunectl.wait()
    assert tunectl.returncode == 128 + sig
    assert err == f"stopped by {sig.name}\n"
    assert _wait(lambda: not _alive(worker)), "the snippet's process outlived tunectl"
