"""`tunectl reward test` end to end: the samples offline, exit codes, and the service's rewards through
the Vertex test server (validateReinforcementTuningReward, generateContent for --from-base-model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cloud.vertex import VertexServer
from tests.quota_fixtures import isolate_config, run_cli, run_json

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "arithmetic-reinforcement"
TRAIN = str(SAMPLE / "train.jsonl")
RESPONSES = str(SAMPLE / "responses.jsonl")
VALIDATE = "v1beta1:aiplatform.projects.locations.tuningJobs.validateReinforcementTuningReward"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_config(monkeypatch, tmp_path)
    for name in ("TUNECTL_PROJECT", "GOOGLE_CLOUD_PROJECT", "TUNECTL_VERTEX_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


def write(path: Path, data: Any) -> str:
    path.write_text(
        "".join(json.dumps(row) + "\n" for row in data) if isinstance(data, list) else json.dumps(data),
        encoding="utf-8",
    )
    return str(path)


def reward_test(*extra: str, config: str = "reward-composite.yaml", responses: str = RESPONSES) -> list[str]:
    return [
        "reward",
        "test",
        "--reward-config",
        str(SAMPLE / config),
        "--dataset",
        TRAIN,
        "--responses",
        responses,
        *extra,
    ]


def test_sample_composite_scores_locally_with_the_documented_numbers(
    offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status, data, _ = run_json(capsys, *reward_test())
    assert status == 0 and data["verdict"] == "ok"
    exact, close = data["rewards"]
    assert (exact["name"], exact["kind"], exact["scored_by"]) == ("exact_answer", "string-match", "local")
    # responses.jsonl: every 5th line lacks the tag, every 4th (not 5th) is off by one: 24 of 40 right
    assert (exact["scored"], exact["mean"], exact["share_at_plus_1"]) == (40, 0.6, 0.6)
    assert (close["min"], close["share_at_minus_1"]) == (-1.0, 0.2)
    assert data["overall"]["scored"] == 40 and data["overall"]["mean"] == pytest.approx(
        0.7 * exact["mean"] + 0.3 * close["mean"]
    )
    assert sum(b["count"] for b in data["overall"]["histogram"]) == 40
    assert data["same_score_examples"] is None  # one response per example: cannot tell


def test_text_report_shows_each_reward_the_overall_histogram_and_verdict(
    offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(capsys, *reward_test())
    assert status == 0
    assert "reward exact_answer (string-match, weight 0.7, scored locally)" in out
    assert (
        "overall (weighted mean)" in out and "[+0.8, +1.0] " in out and out.rstrip().endswith("verdict: ok")
    )
    assert "one response" in err


def test_a_reward_that_gives_everyone_the_same_value_exits_1(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    right = write(
        tmp_path / "right.jsonl", [{"example": n, "response": "<answer>0</answer>"} for n in (1, 2, 3)]
    )
    status, data, err = run_json(capsys, *reward_test(config="reward-exact.yaml", responses=right))
    assert status == 1 and data["verdict"] == "constant" and data["rewards"][0]["constant"]
    assert "cannot separate good from bad answers" in err


def test_examples_whose_responses_always_score_the_same_are_listed(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = [
        {"example": 1, "response": "<answer>15</answer>"},
        {"example": 1, "response": "<answer>16</answer>"},
    ]
    rows += [
        {"example": 2, "response": "<answer>1</answer>"},
        {"example": 2, "response": "<answer>2</answer>"},
    ]
    status, data, _ = run_json(
        capsys, *reward_test(config="reward-exact.yaml", responses=write(tmp_path / "r.jsonl", rows))
    )
    assert status == 0 and data["same_score_examples"] == [2] and data["examples_with_several_responses"] == 2


def test_a_code_reward_that_fails_on_some_responses_exits_1_with_each_error(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    snippet = "def evaluate(example, response):\n    return float(response['parts'][0]['text'])\n"
    config = write(
        tmp_path / "code.json",
        {"singleRewardConfig": {"codeExecutionRewardScorer": {"pythonCodeSnippet": snippet}}},
    )
    responses = write(
        tmp_path / "r.jsonl", [{"example": 1, "response": "0.5"}, {"example": 2, "response": "half"}]
    )
    status, data, _ = run_json(
        capsys,
        "reward",
        "test",
        "--reward-config",
        config,
        "--dataset",
        TRAIN,
        "--responses",
        responses,
        "--code-timeout",
        "5",
    )
    assert status == 1 and data["verdict"] == "errors"
    assert data["errors"] == [
        {
            "example": 2,
            "response_line": 2,
            "reward": "reward",
            "error": "evaluate raised ValueError: could not convert string to float: 'half' (snippet line 2)",
        }
    ]


def test_offline_an_autorater_reward_is_unknown_and_fails_closed(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write(
        tmp_path / "judge.json",
        {
            "singleRewardConfig": {
                "autoraterScorer": {
                    "autoraterPrompt": "Is {{response}} right? {{references.answer}}",
                    "parsedResponseConversionScorer": {},
                }
            }
        },
    )
    status, data, err = run_json(
        capsys, "reward", "test", "--reward-config", config, "--dataset", TRAIN, "--responses", RESPONSES
    )
    assert status == 1 and data["verdict"] == "unknown"
    assert data["rewards"][0]["scored_by"] == "unknown" and data["rewards"][0]["unknown"] == 40
    assert "offline" in err and "validateReinforcementTuningReward" in err


@pytest.mark.parametrize(
    "args",
    [
        ["--reward-config", str(SAMPLE / "reward-exact.yaml"), "--dataset", TRAIN],
        [
            "--reward-config",
            str(SAMPLE / "reward-exact.yaml"),
            "--dataset",
            TRAIN,
            "--responses",
            RESPONSES,
            "--from-base-model",
            "gemini-2.5-flash",
        ],
    ],
)
def test_responses_come_from_exactly_one_place(
    offline: None, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    status, _, err = run_cli(capsys, "reward", "test", *args)
    assert status == 2 and "error[reward-test-input]" in err


def test_bad_inputs_are_usage_errors_naming_the_file_and_line(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad_config = write(
        tmp_path / "bad.json", {"singleRewardConfig": {"stringMatchRewardScorer": {"correctAnswerReward": 1}}}
    )
    status, _, err = run_cli(capsys, *reward_test(config=bad_config))
    assert status == 2 and "error[reward-config-invalid]" in err and "bad.json" in err
    stray = write(tmp_path / "stray.jsonl", [{"example": 99, "response": "1"}])
    status, _, err = run_cli(capsys, *reward_test(responses=stray))
    assert status == 2 and f"{stray}:1" in err and "example 99" in err


def test_cloud_run_rewards_are_scored_by_validate_reinforcement_tuning_reward(
    cloud_env: dict[str, str],
    vertex_server: VertexServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    isolate_config(monkeypatch, tmp_path)
    uri = "https://reward-abc123-uc.a.run.app"
    vertex_server.cloud_run_rewards[uri] = lambda example, text: (
        1.0 if example["references"]["answer"] in text else -1.0
    )
    config = write(
        tmp_path / "composite.json",
        {
            "compositeRewardConfig": {
                "weightedRewardConfigs": [
                    {
                        "weight": 1,
                        "rewardConfig": {
                            "rewardName": "service",
                            "cloudRunRewardScorer": {"cloudRunUri": uri},
                        },
                    },
                    {
                        "weight": 1,
                        "rewardConfig": {
                            "rewardName": "has_tag",
                            "stringMatchRewardScorer": {
                                "correctAnswerReward": 1,
                                "stringMatchExpression": {
                                    "matchOperation": "PARTIAL_MATCH",
                                    "expression": "<answer>",
                                },
                            },
                        },
                    },
                ]
            }
        },
    )
    status, data, _ = run_json(
        capsys, "reward", "test", "--reward-config", config, "--dataset", TRAIN, "--responses", RESPONSES
    )
    assert status == 0, data
    service, local = data["rewards"]
    assert (service["scored_by"], local["scored_by"]) == ("service", "local")
    assert service["scored"] == 40 and service["share_at_plus_1"] == 0.8  # all but the off-by-one answers
    assert len(vertex_server.validations) == 40  # only the service's reward went to the service
    first = {"role": "user", "parts": [{"text": "What is 12 + 3?"}]}
    [sent] = [v for v in vertex_server.validations if v["example"]["contents"] == [first]]
    assert sent["singleRewardConfig"] == {
        "rewardName": "service",
        "cloudRunRewardScorer": {"cloudRunUri": uri},
    }
    assert sent["example"]["references"] == {"answer": "15"} and sent["sampleResponse"]["parts"] == [
        {"text": "<answer>15</answer>"}
    ]


def test_a_service_that_cannot_score_is_a_per_example_error(
    cloud_env: dict[str, str],
    vertex_server: VertexServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    isolate_config(monkeypatch, tmp_path)
    config = write(
        tmp_path / "run.json",
        {"singleRewardConfig": {"cloudRunRewardScorer": {"cloudRunUri": "https://gone.a.run.app"}}},
    )
    status, data, _ = run_json(
        capsys,
        "reward",
        "test",
        "--reward-config",
        config,
        "--dataset",
        TRAIN,
        "--responses",
        write(tmp_path / "two.jsonl", [{"example": 1, "response": "15"}, {"example": 2, "response": "35"}]),
        "--concurrency",
        "2",
    )
    assert status == 1 and data["verdict"] == "errors" and data["error_count"] == 2
    assert data["errors"][0]["error"] == (
        "the service could not score it: the Cloud Run service https://gone.a.run.app could not be reached"
    )


def test_from_base_model_asks_generate_content_and_scores_the_answers(
    cloud_env: dict[str, str],
    vertex_server: VertexServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    isolate_config(monkeypatch, tmp_path)
    vertex_server.replies["gemini-2.5-flash"] = "<answer>15</answer>"  # right for line 1 only
    dataset = write(
        tmp_path / "three.jsonl", [json.loads(line) for line in Path(TRAIN).read_text().splitlines()[:3]]
    )
    status, data, _ = run_json(
        capsys,
        "reward",
        "test",
        "--reward-config",
        str(SAMPLE / "reward-exact.yaml"),
        "--dataset",
        dataset,
        "--from-base-model",
        "gemini-2.5-flash",
        "--samples",
        "2",
    )
    assert status == 0, data
    assert data["responses"] == 6 and data["responses_from"].startswith("gemini-2.5-flash")
    assert data["rewards"][0]["mean"] == pytest.approx(2 / 6)
    assert data["same_score_examples"] == [1, 2, 3]  # a fixed reply: every prompt's samples agree


def test_from_base_model_needs_a_project(offline: None, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--reward-config", str(SAMPLE / "reward-exact.yaml"), "--dataset", TRAIN]
    status, _, err = run_cli(capsys, "reward", "test", *args, "--from-base-model", "gemini-2.5-flash")
    assert status == 2 and "error[missing-project]" in err


def test_csv_has_one_row_per_reward_and_one_overall(
    offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(capsys, *reward_test(), "--format", "csv")
    lines = out.splitlines()
    assert status == 0 and lines[0].startswith("reward,kind,weight,scored_by,scored,errors,unknown,min,mean")
    assert [line.split(",")[0] for line in lines[1:]] == ["exact_answer", "close_in_format", "overall"]


def test_offline_flag_sends_nothing_even_with_a_project(
    cloud_env: dict[str, str],
    vertex_server: VertexServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    isolate_config(monkeypatch, tmp_path)
    config = write(
        tmp_path / "run.json",
        {"singleRewardConfig": {"cloudRunRewardScorer": {"cloudRunUri": "https://r.a.run.app"}}},
    )
    args = ["--reward-config", config, "--dataset", TRAIN, "--responses", RESPONSES, "--offline"]
    status, data, err = run_json(capsys, "reward", "test", *args)
    assert status == 1 and data["verdict"] == "unknown" and vertex_server.validations == []
    assert "--offline" in err


def test_one_response_cannot_vary_so_the_test_cannot_tell(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    one = write(tmp_path / "one.jsonl", [{"example": 1, "response": "<answer>15</answer>"}])
    status, data, err = run_json(capsys, *reward_test(config="reward-exact.yaml", responses=one))
    assert status == 1 and data["verdict"] == "too-few" and data["rewards"][0]["verdict"] == "too-few"
    assert "fewer than 2 responses" in err and "cannot tell" in err


def test_supervised_data_is_refused_as_not_reinforcement_data(
    offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    supervised = SAMPLE.parent / "sarcasm-generation-gemini" / "train.jsonl"
    args = ["reward", "test", "--reward-config", str(SAMPLE / "reward-exact.yaml"), "--dataset"]
    status, _, err = run_cli(capsys, *args, str(supervised), "--responses", RESPONSES)
    assert status == 2 and err.count("error[") == 1
    assert "error[dataset-not-reinforcement]" in err and f"{supervised}:1" in err and "supervised" in err


def test_a_blank_line_in_the_dataset_is_refused_as_dataset_validate_refuses_it(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = Path(TRAIN).read_text(encoding="utf-8").splitlines(keepends=True)
    dataset = tmp_path / "gap.jsonl"
    dataset.write_text("".join(lines[:2]) + "\n" + "".join(lines[2:]), encoding="utf-8")
    args = ["reward", "test", "--reward-config", str(SAMPLE / "reward-exact.yaml"), "--dataset"]
    status, _, err = run_cli(capsys, *args, str(dataset), "--responses", RESPONSES)
    assert status == 2 and "error[dataset-invalid]: empty line" in err and f"{dataset}:3" in err
    status, report, _ = run_cli(capsys, "dataset", "validate", str(dataset))
    assert status == 1 and "blank-line" in report


def test_samples_without_from_base_model_is_a_usage_error(
    offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_cli(capsys, *reward_test("--samples", "3"))
    assert status == 2 and "error[reward-test-input]" in err and "--samples" in err


@pytest.mark.parametrize(
    ("response", "words"),
    [
        ({"role": "user", "parts": [{"text": "15"}]}, "`response.role` is 'user'"),
        ({"parts": [{"text": 5}]}, "parts.0.text"),
        ({"role": "model", "parts": []}, "non-empty list"),
        ({"parts": [{"txt": "15"}]}, "parts.0.txt"),
    ],
)
def test_a_response_object_must_be_the_models_content(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path, response: Any, words: str
) -> None:
    responses = write(
        tmp_path / "r.jsonl", [{"example": 1, "response": "15"}, {"example": 2, "response": response}]
    )
    status, _, err = run_cli(capsys, *reward_test(responses=responses))
    assert status == 2 and "error[responses-invalid]" in err and f"{responses}:2" in err and words in err


def test_a_model_content_response_is_scored(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = [
        {"example": 1, "response": {"role": "model", "parts": [{"text": "<answer>15</answer>"}]}},
        {"example": 2, "response": {"parts": [{"text": "<answer>0</answer>"}]}},
    ]
    status, data, _ = run_json(
        capsys, *reward_test(config="reward-exact.yaml", responses=write(tmp_path / "r.jsonl", rows))
    )
    assert status == 0 and data["rewards"][0]["mean"] == 0.5


def test_responses_that_are_not_utf8_name_the_line_and_byte(
    offline: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    responses = tmp_path / "r.jsonl"
    responses.write_bytes(b'{"example": 1, "response": "15"}\n{"example": 2, "response": "\xff"}\n')
    status, _, err = run_cli(capsys, *reward_test(responses=str(responses)))
    assert status == 2 and "error[responses-not-utf8]" in err and f"{responses}:2:29" in err
    assert "0xff" in err


@pytest.mark.parametrize(("flag", "code"), [("--dataset", "dataset"), ("--reward-config", "reward-config")])
def test_gs_uris_are_refused_as_not_local(
    offline: None, capsys: pytest.CaptureFixture[str], flag: str, code: str
) -> None:
    args = reward_test()
    args[args.index(flag) + 1] = "gs://bucket/file.jsonl"
    status, _, err = run_cli(capsys, *args)
    assert status == 2 and f"error[{code}-not-local]" in err and "not gs://bucket/file.jsonl" in err


def test_the_help_examples_ask_a_model_that_can_still_be_tuned_with_reinforcement() -> None:
    from ops.commands.examples import EXAMPLES
    from ops.models.catalog import method_problem, model_problem

    models = [
        words[words.index("--from-base-model") + 1]
        for example in EXAMPLES["reward test"]
        if "--from-base-model" in (words := example.split())
    ]
    assert models
    for model in models:
        assert model_problem(model) is None and method_problem(model, "reinforcement") is None, model
