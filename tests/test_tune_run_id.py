"""The run id is derived from what gets trained, so relaunching the same thing finds the same run."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from ops.errors import TunectlError
from ops.tuning.labels import check_labels
from ops.tuning.spec import (
    Accelerator,
    DatasetRef,
    Engine,
    Hyperparameters,
    LaunchSpec,
    Method,
    pipeline_region,
)


def _spec(**changes: object) -> LaunchSpec:
    spec = LaunchSpec(
        engine=Engine.gemini,
        method=Method.supervised,
        base_model="gemini-3.5-flash",
        region="us-central1",
        hyperparameters=Hyperparameters(epochs=3),
        datasets=(DatasetRef("train", "gs://b/datasets/sha256/aa.jsonl", "aa"),),
    )
    return replace(spec, **changes)  # type: ignore[arg-type]


def test_same_launch_same_run_id() -> None:
    assert _spec().run_id == _spec().run_id


@pytest.mark.parametrize(
    "change",
    [
        {"hyperparameters": Hyperparameters(epochs=4)},
        {"base_model": "gemini-2.5-pro"},
        {"region": "europe-west4"},
        {"method": Method.preference},
        {"datasets": (DatasetRef("train", "gs://b/datasets/sha256/bb.jsonl", "bb"),)},
        {"nonce": "20261127T000000"},
    ],
)
def test_anything_that_changes_training_changes_the_run_id(change: dict[str, object]) -> None:
    assert _spec(**change).run_id != _spec().run_id


def test_labels_and_display_name_do_not_change_the_run_id() -> None:
    assert _spec(user_labels={"team": "nlp"}, display_name="sarcasm").run_id == _spec().run_id


def test_run_id_is_a_valid_label_value_and_pipeline_job_id() -> None:
    for spec in (_spec(), _spec(engine=Engine.rlhf_pipeline, accelerator=Accelerator.tpu)):
        check_labels({"tunectl-run-id": spec.run_id})
        assert re.fullmatch(r"[a-z][-a-z0-9]{0,127}", f"tunectl-{spec.run_id}")


def test_pipeline_region_follows_the_accelerator() -> None:
    assert pipeline_region(Accelerator.tpu, None) == "europe-west4"
    assert pipeline_region(Accelerator.gpu, "us-central1") == "us-central1"
    with pytest.raises(TunectlError) as caught:
        pipeline_region(Accelerator.tpu, "us-central1")
    assert caught.value.code == "region-accelerator-mismatch"
