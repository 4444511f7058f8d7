"""Each fault mode of the local servers ends in success after a retry or in a clear error, and never in a
second job: a create is retried only after a lookup by the run-id label finds nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cloud.vertex import VertexServer
from tests.tune_fixtures import SAMPLES, TuneCli, pipeline_cache_fixture, tune_fixture  # noqa: F401 - fixtures

GEMINI = (
    "tune", "launch", "--engine", "gemini", "--base-model", "gemini-3.5-flash",
    "--train", str(SAMPLES / "sarcasm-generation" / "train.jsonl"), "--epochs", "1",
    "--skip-preflight", "--yes",
)  # fmt: skip
PIPELINE = (
    "tune", "launch", "--engine", "rlhf-pipeline", "--accelerator", "gpu", "--base-model", "t5-small",
    "--train", str(SAMPLES / "sarcasm-preference" / "train.jsonl"), "--steps", "5",
    "--skip-preflight", "--yes",
)  # fmt: skip
TUNING_CREATE = "aiplatform.projects.locations.tuningJobs.create"


@pytest.mark.parametrize("fault", [429, 500, 503, "hang", "malformed"])
def test_gemini_create_recovers_from_a_transient_fault_with_one_job(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
    fault: int | str,
) -> None:
    cloud.faults.inject(TUNING_CREATE, fault)
    status, result = tune.json(*GEMINI)
    assert status == 0 and result["outcome"] == "created"
    assert len(vertex_server.tuning_jobs) == 1
    assert cloud.faults.calls[TUNING_CREATE] == 2


@pytest.mark.parametrize("fault", [503, "malformed"])
def test_pipeline_create_recovers_with_one_job(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
    fault: int | str,
) -> None:
    cloud.faults.inject("aiplatform.projects.locations.pipelineJobs.create", fault)
    status, result = tune.json(*PIPELINE)
    assert status == 0 and result["job"]["billing_id"]
    assert len(vertex_server.pipeline_jobs) == 1


def test_a_fault_that_persists_ends_in_a_clear_error_and_no_job(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
) -> None:
    cloud.faults.inject(TUNING_CREATE, 503, times=10)
    status, _out, err = tune(*GEMINI)
    assert status == 3
    assert "error[cloud-unavailable]" in err and "HTTP 503" in err and "creating the tuning job" in err
    assert not vertex_server.tuning_jobs


def test_a_transient_fault_on_the_lookup_is_retried(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
) -> None:
    cloud.faults.inject("aiplatform.projects.locations.tuningJobs.list", 429)
    status, _result = tune.json(*GEMINI)
    assert status == 0 and len(vertex_server.tuning_jobs) == 1


def test_upload_recovers_from_a_server_error(tune: TuneCli, cloud: Any, storage_server: Any) -> None:
    cloud.faults.inject("storage.objects.insert", 503)
    status, result = tune.json(*GEMINI)
    assert status == 0 and [u["uploaded"] for u in result["uploads"]] == [True]
    assert len(storage_server.objects) == 1


def test_permission_denied_is_named_and_not_retried(tune: TuneCli, cloud: Any) -> None:
    cloud.faults.inject(TUNING_CREATE, 403)
    status, _out, err = tune(*GEMINI)
    assert status == 3 and "error[cloud-permission-denied]" in err and "permission" in err
    assert cloud.faults.calls[TUNING_CREATE] == 1


def test_unknown_job_is_a_not_found_that_names_it(tune: TuneCli) -> None:
    name = "projects/tunectl-test/locations/us-central1/tuningJobs/404404"
    status, _out, err = tune("tune", "status", name)
    assert status == 3 and "error[cloud-not-found]" in err and name in err


def test_unknown_run_id_says_where_it_looked(tune: TuneCli) -> None:
    status, _out, err = tune("tune", "status", "gem-doesnotexist")
    assert status == 2 and "error[run-not-found]" in err and "tune sync" in err


def test_reading_commands_never_create_a_ledger(tune: TuneCli) -> None:
    assert not tune.ledger.exists()
    status, _out, err = tune("tune", "status", "gem-doesnotexist")
    assert status == 2 and "error[run-not-found]" in err
    assert f"no ledger at {tune.ledger}" in " ".join(err.split())
    status, out, _err = tune("tune", "list", "--local")
    assert status == 0 and "no ledger at" in out
    assert not tune.ledger.exists()


def test_a_refused_label_filter_falls_back_to_matching_labels_here(
    tune: TuneCli, cloud: Any, vertex_server: VertexServer
) -> None:
    status, first = tune.json(*GEMINI)
    assert status == 0
    listing = "aiplatform.projects.locations.tuningJobs.list"
    cloud.faults.inject(listing, 400, on_call=cloud.faults.calls[listing] + 1)
    status, again = tune.json(*GEMINI)
    assert status == 0 and again["outcome"] == "existing" and again["run_id"] == first["run_id"]
    assert len(vertex_server.tuning_jobs) == 1
