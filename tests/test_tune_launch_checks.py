"""What `tune launch` refuses before anything is sent, and what it runs first (preflight)."""

from __future__ import annotations

import _thread
import threading
import time
from pathlib import Path
from typing import Any

from tests.cloud.vertex import VertexServer
from tests.tune_fixtures import SAMPLES, TuneCli, pipeline_cache_fixture, tune_fixture  # noqa: F401 - fixtures

TRAIN = str(SAMPLES / "sarcasm-generation" / "train.jsonl")
GEMINI = ("tune", "launch", "--engine", "gemini", "--base-model", "gemini-3.5-flash", "--epochs", "1")


def test_an_invalid_dataset_is_refused_and_nothing_is_sent(
    tune: TuneCli,
    cloud: Any,
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input_text": "hi", "output_text": ""}\n{"input_text": "x"\n', encoding="utf-8")
    status, _out, err = tune(*GEMINI, "--train", str(bad), "--skip-preflight", "--yes")
    assert status == 1 and "error[dataset-invalid]" in err and "dataset validate" in err
    assert cloud.faults.calls == {}


def test_a_bad_user_label_is_refused_before_sending(tune: TuneCli, cloud: Any) -> None:
    status, _out, err = tune(*GEMINI, "--train", TRAIN, "--label", "Team=NLP", "--dry-run")
    assert status == 2 and "error[label-invalid]" in err and cloud.faults.calls == {}


def test_engine_specific_flags_are_checked(tune: TuneCli) -> None:
    status, _out, err = tune(*GEMINI, "--train", TRAIN, "--accelerator", "tpu", "--dry-run")
    assert status == 2 and "accelerator-not-supported" in err
    rlhf = ("tune", "launch", "--engine", "rlhf-pipeline", "--base-model", "t5-small", "--dry-run")
    status, _out, err = tune(*rlhf, "--train", str(SAMPLES / "sarcasm-preference" / "train.jsonl"))
    assert status == 2 and "accelerator-missing" in err
    status, _out, err = tune(
        *rlhf,
        "--accelerator",
        "tpu",
        "--region",
        "us-central1",
        "--train",
        str(SAMPLES / "sarcasm-preference" / "train.jsonl"),
    )
    assert status == 2 and "region-accelerator-mismatch" in err


def test_a_launch_without_stack_outputs_says_how_to_get_them(tune: TuneCli, monkeypatch: Any) -> None:
    monkeypatch.delenv("TUNECTL_STACK_OUTPUTS")
    status, _out, err = tune(*GEMINI, "--train", TRAIN, "--skip-preflight", "--yes")
    assert status == 2 and "error[stack-outputs-missing]" in err and "pulumi stack output --json" in err


def test_launch_runs_preflight_first_and_an_unknown_stops_it(
    tune: TuneCli, vertex_server: VertexServer, storage_server: Any
) -> None:
    # No billing account, and no published price for the model: budget and cost cannot be checked.
    status, _out, err = tune(*GEMINI, "--train", TRAIN, "--yes")
    assert status == 1 and "error[preflight-unknown]" in err
    assert "budget headroom" in err and "cost estimate" in err and "--allow-unknown budget / cost" in err
    assert not vertex_server.tuning_jobs and not storage_server.objects  # nothing uploaded either


def test_waived_unknowns_launch_and_are_recorded(tune: TuneCli, vertex_server: VertexServer) -> None:
    waive = ("--allow-unknown", "budget", "--allow-unknown", "cost")
    status, result = tune.json(*GEMINI, "--train", TRAIN, *waive, "--yes")
    assert status == 0 and result["outcome"] == "created", result
    assert result["preflight"]["verdict"] == "go"
    assert result["preflight"]["waived"] == ["budget headroom", "cost estimate"]
    assert len(vertex_server.tuning_jobs) == 1
    from ops.ledger import Ledger

    with Ledger(tune.ledger) as ledger:
        (record,) = ledger.runs()
    assert record.preflight["waived"] == ["budget headroom", "cost estimate"]
    assert record.preflight["verdict"] == "go"
    status, shown = tune.json("tune", "status", result["run_id"])
    assert shown["preflight"]["waived"] == ["budget headroom", "cost estimate"]


def test_skip_preflight_is_recorded(tune: TuneCli) -> None:
    status, result = tune.json(*GEMINI, "--train", TRAIN, "--skip-preflight", "--yes")
    assert status == 0 and result["gate"] == {"skipped": True}
    from ops.ledger import Ledger

    with Ledger(tune.ledger) as ledger:
        (record,) = ledger.runs()
    assert record.preflight == {"skipped": True}


def test_ctrl_c_stops_waiting_and_leaves_the_job_running(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
) -> None:
    status, result = tune.json(*GEMINI, "--train", TRAIN, "--skip-preflight", "--yes")
    reads = "aiplatform.projects.locations.tuningJobs.get"
    before = cloud.faults.calls.get(reads, 0)

    def interrupt_once_polling() -> None:
        # Ctrl-C once `tune wait` has read the job twice: it is inside its wait loop then, however slow
        # the machine (a fixed timer raced the imports under load).
        deadline = time.monotonic() + 60
        while cloud.faults.calls.get(reads, 0) < before + 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        _thread.interrupt_main()

    watcher = threading.Thread(target=interrupt_once_polling, daemon=True)
    watcher.start()
    status, _out, err = tune("tune", "wait", result["run_id"], "--poll-interval", "0.05")
    watcher.join()
    assert status == 130 and "the job keeps running" in err
    (job,) = vertex_server.tuning_jobs.values()
    assert job["state"] == "JOB_STATE_QUEUED"  # not cancelled


def test_a_cmek_key_outside_the_job_region_is_refused_before_sending(tune: TuneCli, cloud: Any) -> None:
    key = "projects/tunectl-test/locations/europe-west4/keyRings/tuning/cryptoKeys/datasets"
    status, _out, err = tune(*GEMINI, "--train", TRAIN, "--region", "us-central1", "--kms-key", key)
    assert status == 2 and "error[kms-key-region]" in err and "europe-west4" in err
    status, _out, err = tune(*GEMINI, "--train", TRAIN, "--kms-key", "datasets-key", "--dry-run")
    assert status == 2 and "error[kms-key-invalid]" in err
    assert cloud.faults.calls == {}
    in_region = ("--region", "europe-west4", "--kms-key", key, "--dry-run")
    status, result = tune.json(*GEMINI, "--train", TRAIN, *in_region)
    assert status == 0 and result["outcome"] == "dry-run"


def test_prompts_are_validated_as_a_prompt_dataset(tune: TuneCli, cloud: Any) -> None:
    """--prompts takes the pipeline's input_text-only dataset; a supervised file there is refused
    with the validator's wrong-kind finding, before anything is sent."""
    preference = SAMPLES / "sarcasm-preference"
    status, _out, err = tune(
        "tune", "launch", "--engine", "rlhf-pipeline", "--accelerator", "gpu", "--base-model", "t5-small",
        "--train", str(preference / "train.jsonl"), "--prompts", TRAIN, "--epochs", "1", "--skip-preflight",
    )  # fmt: skip
    assert status == 1 and "error[dataset-invalid]" in err and "wrong-kind" in err
    assert cloud.faults.calls == {}


def test_a_wrong_kind_refusal_hints_a_validate_command_with_the_kind_asked_for(
    tune: TuneCli, cloud: Any
) -> None:
    """Without --kind, `dataset validate` would call the preference file valid."""
    preference = str(SAMPLES / "sarcasm-preference" / "train.jsonl")
    status, _out, err = tune(*GEMINI, "--train", preference, "--skip-preflight", "--yes")
    assert status == 1 and "wrong-kind" in err
    assert f"tunectl dataset validate {preference} --kind supervised" in " ".join(err.split())
    assert cloud.faults.calls == {}
