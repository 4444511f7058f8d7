"""The fast path (msgspec Structs) and the slow path (schema walk) must judge every example alike."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.datasets.formats import FAST, INSPECT, SCHEMAS, STRUCTS, BlankText, detect_layout, walk
from ops.datasets.scan import _lone_surrogate

CORPUS = Path(__file__).parent / "data" / "malformed"

_text = st.sampled_from(["", " ", "\t\n", "a", "Hello", "same"])
_role = st.sampled_from(["user", "model", "system", "", 3])
_part = st.fixed_dictionaries({"text": _text | st.integers()}) | st.just({}) | st.just({"text": "x", "y": 1})
_turn = st.fixed_dictionaries({"role": _role, "parts": st.lists(_part, max_size=2)})
_examples = st.one_of(
    st.fixed_dictionaries({"input_text": _text, "output_text": _text | st.none()}),
    st.fixed_dictionaries(
        {
            "input_text": _text,
            "candidate_0": _text,
            "candidate_1": _text,
            "choice": st.sampled_from([0, 1, 2, True, "1"]),
        }
    ),
    st.fixed_dictionaries({"contents": st.lists(_turn, max_size=4)}, optional={"systemInstruction": _turn}),
    st.fixed_dictionaries(
        {
            "contents": st.lists(_turn, max_size=3),
            "completions": st.lists(
                st.fixed_dictionaries({"score": st.sampled_from([0, 1, 0.5, "1"]), "completion": _turn}),
                max_size=3,
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "contents": st.lists(_turn, max_size=3),
            "references": st.dictionaries(
                st.sampled_from(["answer", "unit_name", "groundTruth", ""]),
                _text | st.integers() | st.none(),
                max_size=2,
            )
            | st.just([]),
        },
        optional={"systemInstruction": _turn},
    ),
)


def _assert_paths_agree(obj: dict) -> None:
    layout = detect_layout(obj)
    assert layout is not None
    structural: list[tuple[str, str]] = []
    walk(obj, SCHEMAS[layout], "$", structural)
    try:
        fast = FAST[layout](msgspec.json.Decoder(STRUCTS[layout]).decode(json.dumps(obj).encode()))
    except (msgspec.DecodeError, BlankText):
        assert structural, f"fast path rejected what the schema accepts: {obj}"
        return
    assert not structural, f"fast path accepted {obj} but the schema found {structural}"
    view, problems = INSPECT[layout](msgspec.convert(obj, STRUCTS[layout]))
    assert fast[0] == sum(map(len, view.input_texts)) and fast[1] == sum(map(len, view.output_texts))
    assert (fast[2], sorted(fast[3])) == (view.output, sorted(problems))


@settings(max_examples=300, deadline=None)
@given(_examples)
def test_fast_and_slow_paths_agree_on_random_examples(obj: dict) -> None:
    _assert_paths_agree(obj)


def test_fast_and_slow_paths_agree_on_the_malformed_corpus() -> None:
    checked = 0
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if _lone_surrogate(line.decode()) is not None:  # rejected before either path runs
                continue
            if isinstance(obj, dict) and detect_layout(obj) is not None:
                _assert_paths_agree(obj)
                checked += 1
    assert checked > 100
