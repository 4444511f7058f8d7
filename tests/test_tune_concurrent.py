"""At most one job per run, even when launches race: three `tunectl tune launch` processes for the
same run, started together against the test servers, leave exactly one live job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ops.ledger import Ledger
from tests.cloud.storage import StorageServer
from tests.tune_fixtures import (  # noqa: F401 - fixtures
    DATASETS_BUCKET,
    ROOT,
    SAMPLES,
    TuneCli,
    pipeline_cache_fixture,
    tune_fixture,
    write_stack_outputs,
)

LAUNCH = (
    "tune", "launch", "--engine", "gemini", "--base-model", "gemini-2.5-pro",
    "--train", str(SAMPLES / "sarcasm-generation" / "train.jsonl"), "--epochs", "1",
    "--skip-preflight", "--yes", "--format", "json",
)  # fmt: skip


@pytest.mark.slow
def test_three_concurrent_launches_leave_one_live_job(
    cloud: Any, cloud_env: dict[str, str], vertex_server: Any, tmp_path: Path
) -> None:
    cloud.get(StorageServer).create_bucket(DATASETS_BUCKET)
    env = {
        **os.environ,
        **cloud_env,
        "TUNECTL_LEDGER": str(tmp_path / "ledger.sqlite"),
        "TUNECTL_STACK_OUTPUTS": str(write_stack_outputs(tmp_path / "stack.json")),
        "TUNECTL_CONFIG": str(tmp_path / "no-config.toml"),
        "TUNECTL_REQUEST_TIMEOUT": "5",
    }
    launches = [
        subprocess.Popen(
            [sys.executable, "-m", "ops", *LAUNCH],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = []
    for process in launches:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    live = [j for j in vertex_server.tuning_jobs.values() if j["state"] not in {"JOB_STATE_CANCELLED"}]
    assert len(live) == 1, vertex_server.tuning_jobs
    assert sorted(r["outcome"] for r in results) == ["created", "existing", "existing"]
    assert {r["job"]["name"] for r in results} == {live[0]["name"]}
    assert len({r["run_id"] for r in results}) == 1


def test_duplicates_found_after_a_create_are_cancelled_keeping_the_oldest(
    cloud: Any, cloud_settings: Any, vertex_server: Any
) -> None:
    """What the lock cannot cover (two machines): after a create, extra live jobs of the run go."""
    from ops.tuning.gemini import GeminiJobs
    from ops.tuning.labels import run_labels
    from ops.tuning.once import keep_oldest
    from ops.tuning.spec import DatasetRef, Engine, Hyperparameters, LaunchSpec, Method

    storage = cloud.get(StorageServer)
    storage.create_bucket(DATASETS_BUCKET)
    data = (SAMPLES / "sarcasm-generation-gemini" / "train.jsonl").read_bytes()
    storage.put_object(DATASETS_BUCKET, "train.jsonl", data)
    spec = LaunchSpec(
        engine=Engine.gemini,
        method=Method.supervised,
        base_model="gemini-2.5-pro",
        region="us-central1",
        hyperparameters=Hyperparameters(epochs=1),
        datasets=(DatasetRef("train", f"gs://{DATASETS_BUCKET}/train.jsonl", "0" * 64),),
    )
    labels = run_labels(spec.run_id, "gemini", {})
    backend = GeminiJobs(cloud_settings, "us-central1")
    first = backend.create(spec, labels, "sa@p.iam.gserviceaccount.com")
    cloud.clock.tick()
    second = backend.create(spec, labels, "sa@p.iam.gserviceaccount.com")
    result = keep_oldest(backend, spec.run_id, second)
    assert result.kept.name == first.name and result.cancelled == [second.name]
    states = {job["name"]: job["state"] for job in vertex_server.tuning_jobs.values()}
    assert states[first.name] != "JOB_STATE_CANCELLED"
    assert states[second.name] in {"JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED"}


def _hold(ledger: Path, mode: str) -> Any:
    """Another process's transaction on the ledger (IMMEDIATE: writers wait; EXCLUSIVE: everyone)."""
    import sqlite3

    conn = sqlite3.connect(ledger, isolation_level=None)
    conn.execute(f"BEGIN {mode}")
    return conn


def test_a_created_job_the_ledger_cannot_record_is_named_with_how_to_sync(
    tune: TuneCli, vertex_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUNECTL_LEDGER_TIMEOUT", "0.2")
    Ledger(tune.ledger).close()  # the ledger exists
    holder = _hold(tune.ledger, "IMMEDIATE")
    try:
        status, _out, err = tune(*LAUNCH[:-2])
    finally:
        holder.rollback()
        holder.close()
    (job,) = vertex_server.tuning_jobs.values()
    assert status == 1 and "error[launch-not-recorded]" in err and job["name"] in err
    assert "tunectl tune sync" in err and "internal" not in err
    assert tune("tune", "sync")[0] == 0
    status, listed = tune.json("tune", "list", "--local")
    assert [r["job_name"] for r in listed["runs"]] == [job["name"]]


def test_a_locked_ledger_is_busy_not_broken(tune: TuneCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNECTL_LEDGER_TIMEOUT", "0.2")
    Ledger(tune.ledger).close()
    holder = _hold(tune.ledger, "EXCLUSIVE")
    try:
        status, _out, err = tune("tune", "list", "--local")
    finally:
        holder.rollback()
        holder.close()
    assert status == 2 and "error[ledger-busy]" in err and "retry" in err
    assert "move the file away" not in err


def test_ctrl_c_after_the_create_names_the_job_and_how_to_record_it(
    tune: TuneCli, vertex_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_args: Any) -> Any:
        raise KeyboardInterrupt  # the user presses Ctrl-C just after Vertex AI accepted the job

    monkeypatch.setattr("ops.tuning.launch.keep_oldest", interrupted)
    status, _out, err = tune(*LAUNCH[:-2])
    (job,) = vertex_server.tuning_jobs.values()
    assert status == 1 and "error[launch-not-recorded]" in err and job["name"] in err
    assert "interrupted" in err and "tunectl tune sync" in err
