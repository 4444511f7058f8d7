"""The sample datasets in samples/: well-formed, big enough, balanced, and free of leaks between splits.

These read the checked-in files directly (not through ops' dataset validator), so they hold even
while the validator changes.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CLASSES = {"sarcastic", "not_sarcastic"}
CLASSIFY_PREFIX = "Classify the following text as sarcastic or not_sarcastic.\nText: "
REPLY_PREFIX = "Write a sarcastic reply to: "
MAX_FIELD_CHARS = 300

SUPERVISED_KEYS = {"input_text", "output_text"}
PREFERENCE_KEYS = {"input_text", "candidate_0", "candidate_1", "choice"}
REINFORCEMENT_KEYS = {"systemInstruction", "contents", "references"}
EXPECTED_FILES = {
    "sarcasm-classification/train.jsonl": (SUPERVISED_KEYS, 60),
    "sarcasm-classification/validation.jsonl": (SUPERVISED_KEYS, 16),
    "sarcasm-generation/train.jsonl": (SUPERVISED_KEYS, 60),
    "sarcasm-generation/validation.jsonl": (SUPERVISED_KEYS, 16),
    "sarcasm-generation-gemini/train.jsonl": ({"contents"}, 60),
    "sarcasm-generation-gemini/validation.jsonl": ({"contents"}, 16),
    "sarcasm-preference/train.jsonl": (PREFERENCE_KEYS, 40),
    "sarcasm-preference/eval.jsonl": (PREFERENCE_KEYS, 8),
    "sarcasm-preference/prompts.jsonl": ({"input_text"}, 20),
    "arithmetic-reinforcement/train.jsonl": (REINFORCEMENT_KEYS, 40),
    "arithmetic-reinforcement/validation.jsonl": (REINFORCEMENT_KEYS, 10),
    "arithmetic-reinforcement/responses.jsonl": ({"example", "response"}, 40),
}


def read_jsonl(relative: str) -> list[dict[str, Any]]:
    path = SAMPLES / relative
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n")[:-1], start=1):
        row = json.loads(line)
        assert isinstance(row, dict), f"{relative}:{number}: not a JSON object"
        rows.append(row)
    return rows


def texts(value: Any) -> list[str]:
    """Every string inside a row, however deeply nested (Gemini rows nest their text in parts)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return []


def load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("samples_build", SAMPLES / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_samples_folder_holds_exactly_the_documented_files() -> None:
    on_disk = {str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*.jsonl")}
    assert on_disk == set(EXPECTED_FILES)
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for relative in EXPECTED_FILES:
        assert relative in readme, f"samples/README.md does not describe {relative}"


@pytest.mark.parametrize("relative", sorted(EXPECTED_FILES))
def test_every_line_is_one_json_object_with_the_expected_fields(relative: str) -> None:
    raw = (SAMPLES / relative).read_bytes()
    assert raw.endswith(b"\n") and b"\r" not in raw and b"\n\n" not in raw, f"{relative}: stray line breaks"
    keys, minimum = EXPECTED_FILES[relative]
    rows = read_jsonl(relative)
    assert len(rows) >= minimum, f"{relative}: {len(rows)} examples, need at least {minimum}"
    for number, row in enumerate(rows, start=1):
        assert set(row) == keys, f"{relative}:{number}: fields {sorted(row)}"
        for text in texts(row):
            assert text.strip(), f"{relative}:{number}: empty text"
            assert len(text) < MAX_FIELD_CHARS, f"{relative}:{number}: {len(text)} characters"


@pytest.mark.parametrize("relative", sorted(EXPECTED_FILES))
def test_no_example_appears_twice_in_a_file(relative: str) -> None:
    rows = read_jsonl(relative)
    prompts = Counter(json.dumps(row.get("input_text", row), sort_keys=True) for row in rows)
    assert [p for p, n in prompts.items() if n > 1] == []


@pytest.mark.parametrize(
    ("train", "held_out"),
    [
        ("sarcasm-classification/train.jsonl", "sarcasm-classification/validation.jsonl"),
        ("sarcasm-generation/train.jsonl", "sarcasm-generation/validation.jsonl"),
        ("sarcasm-preference/train.jsonl", "sarcasm-preference/eval.jsonl"),
        ("sarcasm-preference/train.jsonl", "sarcasm-preference/prompts.jsonl"),
        ("sarcasm-preference/eval.jsonl", "sarcasm-preference/prompts.jsonl"),
    ],
)
def test_held_out_prompts_never_appear_in_training(train: str, held_out: str) -> None:
    seen = {row["input_text"] for row in read_jsonl(train)}
    assert [row["input_text"] for row in read_jsonl(held_out) if row["input_text"] in seen] == []


@pytest.mark.parametrize("split", ["train", "validation"])
def test_classification_answers_are_one_listed_class_and_balanced(split: str) -> None:
    rows = read_jsonl(f"sarcasm-classification/{split}.jsonl")
    for row in rows:
        assert row["input_text"].startswith(CLASSIFY_PREFIX)
        assert row["output_text"] in CLASSES
    counts = Counter(row["output_text"] for row in rows)
    assert set(counts) == CLASSES
    assert min(counts.values()) / len(rows) >= 0.4, counts


@pytest.mark.parametrize("split", ["train", "validation"])
def test_generation_prompts_ask_for_a_sarcastic_reply(split: str) -> None:
    rows = read_jsonl(f"sarcasm-generation/{split}.jsonl")
    assert all(row["input_text"].startswith(REPLY_PREFIX) for row in rows)
    replies = [row["output_text"] for row in rows]
    assert len(set(replies)) == len(replies)


@pytest.mark.parametrize("split", ["train", "validation"])
def test_gemini_generation_set_is_the_article_set_converted(split: str) -> None:
    article = read_jsonl(f"sarcasm-generation/{split}.jsonl")
    gemini = read_jsonl(f"sarcasm-generation-gemini/{split}.jsonl")
    assert gemini == [
        {
            "contents": [
                {"role": "user", "parts": [{"text": row["input_text"]}]},
                {"role": "model", "parts": [{"text": row["output_text"]}]},
            ]
        }
        for row in article
    ]


@pytest.mark.parametrize("relative", ["sarcasm-preference/train.jsonl", "sarcasm-preference/eval.jsonl"])
def test_preference_candidates_differ_and_choices_are_mixed(relative: str) -> None:
    rows = read_jsonl(relative)
    for number, row in enumerate(rows, start=1):
        assert row["candidate_0"] != row["candidate_1"], f"{relative}:{number}: identical candidates"
        assert type(row["choice"]) is int and row["choice"] in (0, 1), f"{relative}:{number}"
        assert row["input_text"].startswith(REPLY_PREFIX)
    choices = Counter(row["choice"] for row in rows)
    assert min(choices[0], choices[1]) / len(rows) >= 0.3, choices


def test_checked_in_files_are_what_build_script_writes() -> None:
    build = load_build_script()
    stale = [
        relative
        for relative, rows in build.render().items()
        if (SAMPLES / relative).read_text(encoding="utf-8") != build.to_jsonl(rows)
    ]
    assert stale == [], "regenerate with: .venv/bin/python samples/build.py"


def test_no_prompt_is_shared_between_datasets() -> None:
    """Each set stands alone: a situation used for generation is not reused for preference tuning."""
    owners: dict[str, list[str]] = {}
    for relative in EXPECTED_FILES:
        if relative.startswith(("sarcasm-generation-gemini/", "arithmetic-")):
            continue  # the same examples as sarcasm-generation/, by design; arithmetic has no input_text
        for row in read_jsonl(relative):
            owners.setdefault(row["input_text"], []).append(relative)
    assert {prompt: files for prompt, files in owners.items() if len(files) > 1} == {}


def test_reinforcement_prompts_end_with_a_user_turn_and_never_leak_into_validation() -> None:
    train = read_jsonl("arithmetic-reinforcement/train.jsonl")
    validation = read_jsonl("arithmetic-reinforcement/validation.jsonl")
    for row in train + validation:
        assert row["contents"][-1]["role"] == "user"
        assert set(row["references"]) == {"answer"} and row["references"]["answer"].lstrip("-").isdigit()
    questions = {row["contents"][0]["parts"][0]["text"] for row in train}
    assert [r for r in validation if r["contents"][0]["parts"][0]["text"] in questions] == []


def test_canned_responses_name_training_lines_and_mix_right_and_wrong() -> None:
    train = read_jsonl("arithmetic-reinforcement/train.jsonl")
    responses = read_jsonl("arithmetic-reinforcement/responses.jsonl")
    assert [r["example"] for r in responses] == list(range(1, len(train) + 1))
    right = [
        r
        for r in responses
        if f"<answer>{train[r['example'] - 1]['references']['answer']}</answer>" in r["response"]
    ]
    assert 0 < len(right) < len(responses)


def test_the_walkthrough_validates_every_sample_set() -> None:
    """README: the walkthrough runs `dataset validate` on every sample set."""
    from ops.walkthrough import STEPS

    validated = {
        Path(arg).parent.name
        for step in STEPS
        if step.argv[:2] == ("dataset", "validate")
        for arg in step.argv[2:]
        if arg.startswith("samples/")
    }
    sets = {p.parent.name for p in SAMPLES.glob("*/train.jsonl")}
    assert sets and sets <= validated, f"not validated by the walkthrough: {sorted(sets - validated)}"
