"""`tune wait` and `tune evaluate` options: a timeout can cancel the job, no busy loop, no negative
timeout, and a non-UTF-8 evaluation file is a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.tune_fixtures import SAMPLES, TuneCli, pipeline_cache_fixture, tune_fixture  # noqa: F401 - fixtures

LAUNCH = (
    "tune", "launch", "--engine", "gemini", "--base-model", "gemini-2.5-pro",
    "--train", str(SAMPLES / "sarcasm-generation" / "train.jsonl"), "--epochs", "1",
    "--skip-preflight", "--yes",
)  # fmt: skip


def _launched(tune: TuneCli) -> str:
    status, result = tune.json(*LAUNCH)
    assert status == 0, result
    return str(result["run_id"])


def test_cancel_on_timeout_cancels_the_job(tune: TuneCli, vertex_server: Any) -> None:
    run_id = _launched(tune)
    args = ("--poll-interval", "0.01", "--timeout", "0.05", "--cancel-on-timeout")
    status, data = tune.json("tune", "wait", run_id, *args)
    assert status == 1 and data["cancelled_at_timeout"] is True
    (job,) = vertex_server.tuning_jobs.values()
    assert job["state"] in {"JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED"}


def test_a_plain_timeout_leaves_the_job_running(tune: TuneCli, vertex_server: Any) -> None:
    run_id = _launched(tune)
    status, data = tune.json("tune", "wait", run_id, "--poll-interval", "0.01", "--timeout", "0.05")
    assert status == 1 and data["cancelled_at_timeout"] is False
    (job,) = vertex_server.tuning_jobs.values()
    assert job["state"] == "JOB_STATE_QUEUED"


@pytest.mark.parametrize(
    "args",
    [("--poll-interval", "0"), ("--timeout", "-5"), ("--cancel-on-timeout",)],
    ids=["busy-loop", "negative-timeout", "cancel-without-timeout"],
)
def test_wait_refuses_options_that_cannot_work(tune: TuneCli, args: tuple[str, ...]) -> None:
    status, _out, _err = tune("tune", "wait", "gem-0000", *args)
    assert status == 2


def test_a_non_utf8_eval_file_is_a_clear_error(tune: TuneCli, tmp_path: Path) -> None:
    from ops.errors import TunectlError
    from ops.tuning.generate import read_prompts

    bad = tmp_path / "eval.jsonl"
    bad.write_bytes(b'{"input_text": "caf\\u00e9", "output_text": "\xe9"}\n')
    with pytest.raises(TunectlError) as caught:
        read_prompts(bad)
    assert caught.value.code == "prompt-file-not-utf8" and "byte" in caught.value.message


def test_status_shows_the_console_link_the_timeline_and_the_data_stats(tune: TuneCli, cloud: Any) -> None:
    from tests.tune_fixtures import Ticker

    run_id = _launched(tune)
    with Ticker(cloud):
        status, _out, err = tune("tune", "wait", run_id, "--poll-interval", "0.01")
    # wait shows the console link first, then the state and the data stats as they change
    assert status == 0 and "follow it in the console: https://console.cloud.google.com/" in err
    assert f"{run_id}: data stats" in err
    status, data = tune.json("tune", "status", run_id)
    job_id = data["job_name"].rsplit("/", 1)[-1]
    assert data["console_url"] == (
        "https://console.cloud.google.com/vertex-ai/generative/language/locations/us-central1"
        f"/tuning/tuningJob/{job_id}?project=tunectl-test"
    )
    assert [e["event"] for e in data["timeline"]] == ["created", "started", "ended SUCCEEDED"]
    status, out, _err = tune("tune", "status", run_id)
    assert status == 0 and "supervised_tuning_data_stats.tuning_dataset_example_count" in out
    assert "data stats (reported by Vertex AI)" in out
    training = data["training"]
    assert training["experiment"].startswith("projects/tunectl-test/locations/us-central1/metadataStores/")
    assert [(c["epoch"], c["step"]) for c in training["checkpoints"]] == [(1, 60)]
    assert "checkpoints" in out and "Vertex AI Experiments" in out
