"""Reward config files: both spellings, JSON or YAML, and a clear usage error for each kind of mistake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops.errors import ExitStatus, TunectlError
from ops.reinforcement.config import MAX_COMPOSITE_REWARDS, accepted_fields, load_reward_config

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "arithmetic-reinforcement"
DISCOVERY = "aiplatform.v1beta1.json"


def exact(**overrides: Any) -> dict[str, Any]:
    scorer = {
        "correctAnswerReward": 1.0,
        "wrongAnswerReward": 0.0,
        "stringMatchExpression": {"matchOperation": "EXACT_MATCH", "expression": "{{references.answer}}"},
    }
    scorer.update(overrides)
    return {"rewardName": "exact", "stringMatchRewardScorer": scorer}


def write(tmp_path: Path, data: Any, name: str = "reward.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else data, encoding="utf-8")
    return path


def refused(tmp_path: Path, data: Any, name: str = "reward.json") -> TunectlError:
    with pytest.raises(TunectlError) as caught:
        load_reward_config(write(tmp_path, data, name))
    assert caught.value.status == ExitStatus.USAGE
    assert caught.value.hint
    return caught.value


def test_samples_load_with_the_reference_keys_they_read() -> None:
    single = load_reward_config(SAMPLES / "reward-exact.yaml")
    composite = load_reward_config(SAMPLES / "reward-composite.yaml")
    assert single.reference_keys == composite.reference_keys == frozenset({"answer"})
    assert list(single.api) == ["singleRewardConfig"]
    assert [(name, weight) for name, weight, _ in composite.rewards()] == [
        ("exact_answer", 0.7),
        ("close_in_format", 0.3),
    ]


def test_snake_case_becomes_camel_case_but_map_keys_are_kept(tmp_path: Path) -> None:
    text = """
single_reward_config:
  reward_name: judge
  autorater_scorer:
    autorater_prompt: "Is {{response}} equal to {{references.final_answer}}? Say 1 or 0."
    autorater_config:
      autorater_model: publishers/google/models/gemini-2.5-flash
      generation_config:
        response_json_schema: {type: object, properties: {snake_key: {type: string}}}
    parsed_response_conversion_scorer: {}
"""
    config = load_reward_config(write(tmp_path, text, "reward.yaml"))
    scorer = config.api["singleRewardConfig"]["autoraterScorer"]
    assert scorer["autoraterConfig"]["generationConfig"]["responseJsonSchema"]["properties"] == {
        "snake_key": {"type": "string"}
    }
    assert config.reference_keys == frozenset({"final_answer"})


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (
            {"singleRewardConfig": {**exact(), "rewardNmae": "x"}},
            "singleRewardConfig.rewardNmae",
            "rewardName",
        ),
        (
            {
                "singleRewardConfig": exact(
                    stringMatchExpression={"matchOperation": "FUZZY", "expression": "a"}
                )
            },
            "matchOperation",
            "EXACT_MATCH",
        ),
        (
            {
                "singleRewardConfig": exact(
                    stringMatchExpression={"matchOperation": "exact_match", "expression": "a"}
                )
            },
            "matchOperation",
            "upper case",
        ),
        (
            {
                "singleRewardConfig": exact(
                    stringMatchExpression={"matchOperation": "REGEX_CONTAINS", "expression": "(unclosed"}
                )
            },
            "expression",
            "does not compile",
        ),
        (
            {
                "singleRewardConfig": exact(
                    stringMatchExpression={"matchOperation": "REGEX_CONTAINS", "expression": "(?<=x)\\d+"}
                )
            },
            "expression",
            "RE2",
        ),
        ({"singleRewardConfig": exact(correctAnswerReward=2.0)}, "correctAnswerReward", "[-1, 1]"),
        ({"singleRewardConfig": exact(correctAnswerReward=0.0)}, "stringMatchRewardScorer", "cannot tell"),
        ({"singleRewardConfig": exact(correctAnswerReward="high")}, "correctAnswerReward", "number"),
        (
            {"singleRewardConfig": {"cloudRunRewardScorer": {"cloudRunUri": "http://reward.example.com"}}},
            "cloudRunUri",
            "https",
        ),
        (
            {
                "singleRewardConfig": {
                    "codeExecutionRewardScorer": {"pythonCodeSnippet": "def score(a, b):\n  return 1"}
                }
            },
            "pythonCodeSnippet",
            "evaluate",
        ),
        (
            {
                "singleRewardConfig": {
                    "codeExecutionRewardScorer": {"pythonCodeSnippet": "def evaluate(a, b)\n"}
                }
            },
            "pythonCodeSnippet",
            "does not parse",
        ),
        ({"singleRewardConfig": {"rewardName": "nothing"}}, "singleRewardConfig", "exactly one scorer"),
        (
            {
                "singleRewardConfig": {
                    **exact(),
                    "parseResponseConfig": {"parseType": "REGEX_EXTRACT", "regexExtractExpression": "(a)(b)"},
                }
            },
            "regexExtractExpression",
            "capture groups",
        ),
        (
            {
                "singleRewardConfig": exact(
                    stringMatchExpression={"matchOperation": "EXACT_MATCH", "expression": "{{answer}}"}
                )
            },
            "expression",
            "placeholder",
        ),
        ({"compositeRewardConfig": {"weightedRewardConfigs": []}}, "weightedRewardConfigs", "at least one"),
        (
            {"compositeRewardConfig": {"weightedRewardConfigs": [{"weight": 0, "rewardConfig": exact()}]}},
            "weightedRewardConfigs[0].weight",
            "not positive",
        ),
        (
            {
                "compositeRewardConfig": {
                    "weightedRewardConfigs": [{"weight": 1, "rewardConfig": exact()}] * 2
                }
            },
            "weightedRewardConfigs[1].rewardConfig.rewardName",
            "unique",
        ),
        (
            {
                "compositeRewardConfig": {
                    "weightedRewardConfigs": [
                        {"weight": 1, "rewardConfig": {**exact(), "rewardName": f"r{i}"}}
                        for i in range(MAX_COMPOSITE_REWARDS + 1)
                    ]
                }
            },
            "weightedRewardConfigs",
            "at most 16",
        ),
        ({"rewardConfig": exact()}, "", "exactly one of singleRewardConfig or compositeRewardConfig"),
    ],
)
def test_each_mistake_names_its_field_and_how_to_fix_it(
    tmp_path: Path, data: Any, field: str, words: str
) -> None:
    error = refused(tmp_path, data)
    assert error.where is not None and error.where.startswith(str(tmp_path / "reward.json"))
    assert field in error.where
    assert words in f"{error.message} {error.hint}"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = refused(tmp_path, "singleRewardConfig:\n  rewardName: [unclosed\n", "reward.yaml")
    assert error.where is not None and error.where.startswith(f"{tmp_path / 'reward.yaml'}:")
    assert "YAML" in error.message


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(TunectlError) as caught:
        load_reward_config(tmp_path / "none.yaml")
    assert caught.value.code == "reward-config-missing"
    assert caught.value.where == str(tmp_path / "none.yaml")


def test_a_directory_is_unreadable_and_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(TunectlError) as caught:
        load_reward_config(tmp_path)
    assert (caught.value.code, caught.value.where) == ("reward-config-unreadable", str(tmp_path))


def test_a_file_that_is_not_utf8_names_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "reward.yaml"
    path.write_bytes(b"singleRewardConfig:\n  rewardName: \xe9t\xe9\n")
    with pytest.raises(TunectlError) as caught:
        load_reward_config(path)
    assert caught.value.code == "reward-config-unreadable" and caught.value.where == f"{path}:2:15"
    assert "0xe9" in caught.value.message


def test_a_gs_uri_is_refused_as_not_local_and_spelled_as_given() -> None:
    with pytest.raises(TunectlError) as caught:
        load_reward_config(Path("gs://bucket/reward.yaml"))  # a Path folds it into gs:/bucket/...
    error = caught.value
    assert error.code == "reward-config-not-local" and error.status == ExitStatus.USAGE
    assert "must be a local file, not gs://bucket/reward.yaml" in error.message


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("reward.yaml", "singleRewardConfig:\n  rewardName: a\n  rewardName: b\n", "3:3"),
        (
            "reward.json",
            '{"compositeRewardConfig": {"weightedRewardConfigs": [\n'
            '  {"weight": 1, "rewardConfig": {"rewardName": "a"}},\n'
            '  {"weight": 1, "weight": 2, "rewardConfig": {"rewardName": "b"}}]}}',
            "3:17",
        ),
    ],
)
def test_a_key_given_twice_is_refused_with_its_line(tmp_path: Path, name: str, text: str, where: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TunectlError) as caught:
        load_reward_config(path)
    assert caught.value.code == "reward-config-invalid" and caught.value.where == f"{path}:{where}"
    assert "given twice" in caught.value.message


def test_equal_keys_in_different_objects_and_escaped_strings_are_fine() -> None:
    from ops.reinforcement.config import json_duplicate_key

    text = '{"a": {"k": "x\\"y: \\"k\\":"}, "b": [{"k": 1}, {"k": 2}], "k": {"k": 3}}'
    assert json.loads(text) and json_duplicate_key(text) is None
    assert json_duplicate_key('{"a": 1, "b": {"c": 2}, "a": 3}') == ("a", 24)


def test_keys_read_with_get_or_tested_with_in_are_optional(tmp_path: Path) -> None:
    snippet = (
        "def evaluate(example, response):\n"
        '    unit = example["references"].get("unit")\n'
        '    refs = example["references"]\n'
        '    note = refs["note"] if "note" in refs else ""\n'
        '    return 1.0 if refs["answer"] in str(response) else 0.0\n'
    )
    config = load_reward_config(
        write(tmp_path, {"singleRewardConfig": {"codeExecutionRewardScorer": {"pythonCodeSnippet": snippet}}})
    )
    assert config.reference_keys == frozenset({"answer"})
    assert config.optional_reference_keys == frozenset({"unit", "note"})


def _discovery_schemas() -> dict[str, Any]:
    from googleapiclient.discovery_cache import get_static_doc

    document = get_static_doc("aiplatform", "v1beta1")
    assert document is not None
    schemas: dict[str, Any] = json.loads(document)["schemas"]
    return schemas


def _drift(
    model: type, schema_name: str, schemas: dict[str, Any], where: str, out: list[str], seen: set[str]
) -> None:
    """Walk google-genai's model and the discovery schema side by side; record every field difference."""
    import typing

    if schema_name in seen:  # Schema nests Schema
        return
    seen.add(schema_name)

    import pydantic

    from ops.reinforcement.config import _fields, _unwrap

    ours = accepted_fields(model)
    theirs = set(schemas[schema_name].get("properties", {}))
    out += [f"{where}.{f} (google-genai only)" for f in sorted(ours - theirs)]
    out += [f"{where}.{f} (discovery only)" for f in sorted(theirs - ours)]
    for camel in sorted(ours & theirs):
        kind = _unwrap(_fields(model)[camel][1])
        prop = schemas[schema_name]["properties"][camel]
        if typing.get_origin(kind) is list:
            kind, prop = _unwrap(typing.get_args(kind)[0]), prop.get("items", {})
        if isinstance(kind, type) and issubclass(kind, pydantic.BaseModel) and "$ref" in prop:
            _drift(kind, prop["$ref"], schemas, f"{where}.{camel}", out, seen)


def test_accepted_fields_match_the_v1beta1_discovery_document() -> None:
    """google-genai (runtime) and the discovery document (dev only) agree on every reward field, except
    a few generationConfig fields of the autorater, listed here so a new difference fails the test."""
    from google.genai import types

    schemas = _discovery_schemas()
    out: list[str] = []
    for model, name in (
        (types.SingleReinforcementTuningRewardConfig, "SingleReinforcementTuningRewardConfig"),
        (types.CompositeReinforcementTuningRewardConfig, "CompositeReinforcementTuningRewardConfig"),
    ):
        _drift(model, f"GoogleCloudAiplatformV1beta1{name}", schemas, name, out, set())
    # Only in the autorater's generationConfig (the Gemini API's type): fields the discovery document
    # has and google-genai lacks, refused by load_reward_config. google-genai's extra fields are
    # refused too (NOT_IN_V1BETA1), so they do not show here.
    known = {"imageConfig", "modelConfig", "audioTranscriptionConfig.sourceText"}
    assert {d.split(".generationConfig.", 1)[1] for d in out} == {f"{k} (discovery only)" for k in known}
