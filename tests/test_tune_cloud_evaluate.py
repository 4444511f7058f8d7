"""`tune predict` and `tune evaluate` against a tuned model's endpoint (generateContent, google-genai)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cloud.vertex import VertexServer
from tests.tune_fixtures import SAMPLES, TuneCli, pipeline_cache_fixture, tune_fixture  # noqa: F401 - fixtures

CLASSIFICATION = SAMPLES / "sarcasm-classification"


def _tuned_run(tune: TuneCli, cloud: Any) -> str:
    status, result = tune.json(
        "tune", "launch", "--engine", "gemini", "--base-model", "gemini-3.5-flash",
        "--train", str(CLASSIFICATION / "train.jsonl"), "--epochs", "1", "--skip-preflight", "--yes",
    )  # fmt: skip
    assert status == 0, result
    cloud.clock.tick(3)
    return str(result["run_id"])


def test_predict_prints_the_tuned_models_answers(tune: TuneCli, cloud: Any) -> None:
    run_id = _tuned_run(tune, cloud)
    status, data = tune.json(
        "tune", "predict", run_id, "--prompt", "My train is late again.", "--prompt", "Hi"
    )
    assert status == 0
    assert [a["answer"] for a in data["answers"]] == [
        "tuned answer: My train is late again.",
        "tuned answer: Hi",
    ]
    assert data["endpoint"].startswith("projects/tunectl-test/locations/us-central1/endpoints/")


def test_evaluate_scores_a_classification_set(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
) -> None:
    run_id = _tuned_run(tune, cloud)
    (endpoint,) = vertex_server.endpoints
    vertex_server.replies[endpoint] = "sarcastic"  # a model that calls everything sarcastic
    status, out, _err = tune(
        "tune", "evaluate", run_id, "--eval", str(CLASSIFICATION / "validation.jsonl"), "-f", "json"
    )
    assert status == 0
    tuned = json.loads(out)["tuned"]
    status, as_yaml, _err = tune(
        "tune", "evaluate", run_id, "--eval", str(CLASSIFICATION / "validation.jsonl"), "-f", "yaml"
    )
    assert status == 0 and yaml.safe_load(as_yaml)["tuned"] == tuned
    # 16 examples, 8 of each class: half right; "sarcastic" is always predicted, never "not_sarcastic".
    assert tuned["examples"] == 16 and tuned["exact_match"] == 0.5 and tuned["accuracy"] == 0.5
    assert tuned["per_class"]["sarcastic"] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "support": 8,
    }
    assert tuned["per_class"]["not_sarcastic"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 8}
    # ROUGE splits "not_sarcastic" into "not" + "sarcast": half the reference tokens -> F1 2/3 there.
    assert tuned["rouge1"] == pytest.approx((8 * 1.0 + 8 * (2 / 3)) / 16)


def test_evaluate_against_base_scores_both_models_side_by_side(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
) -> None:
    run_id = _tuned_run(tune, cloud)
    (endpoint,) = vertex_server.endpoints
    vertex_server.replies[endpoint] = "sarcastic"
    vertex_server.replies["gemini-3.5-flash"] = "not_sarcastic"  # the base model says the opposite
    status, out, _err = tune(
        "tune", "evaluate", run_id, "--eval", str(CLASSIFICATION / "validation.jsonl"), "--against-base",
        "-f", "json",
    )  # fmt: skip
    assert status == 0
    report = json.loads(out)
    assert report["base_model"] == "gemini-3.5-flash"
    assert report["tuned"]["accuracy"] == 0.5 and report["base"]["accuracy"] == 0.5
    assert report["base"]["per_class"]["not_sarcastic"]["recall"] == 1.0
    assert report["tuned"]["per_class"]["not_sarcastic"]["recall"] == 0.0


def test_evaluate_writes_a_markdown_report_atomically(tune: TuneCli, cloud: Any, tmp_path: Path) -> None:
    run_id = _tuned_run(tune, cloud)
    report = tmp_path / "reports" / "eval.md"
    status, out, err = tune(
        "tune", "evaluate", run_id, "--eval", str(SAMPLES / "sarcasm-generation" / "validation.jsonl"),
        "--format", "md", "-o", str(report), "--concurrency", "2",
    )  # fmt: skip
    assert status == 0 and out == "" and f"wrote {report}" in err
    text = report.read_text(encoding="utf-8")
    assert text.startswith(f"# Evaluation of run {run_id}") and "| BLEU |" in text and "| ROUGE-L |" in text
    assert not [p for p in report.parent.iterdir() if p.name.endswith(".tmp")]


def test_predict_before_the_run_finished_says_to_wait(tune: TuneCli) -> None:
    status, result = tune.json(
        "tune", "launch", "--engine", "gemini", "--base-model", "gemini-3.5-flash",
        "--train", str(CLASSIFICATION / "train.jsonl"), "--skip-preflight", "--yes",
    )  # fmt: skip
    status, _out, err = tune("tune", "predict", result["run_id"], "--prompt", "hi")
    assert status == 1 and "error[endpoint-missing]" in err and "tune wait" in err
