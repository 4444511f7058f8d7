"""Random bytes and random JSON never crash the validator or touch the input file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.datasets import CHECKS, validate_file
from ops.errors import TunectlError

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "input_text",
                    "output_text",
                    "contents",
                    "role",
                    "parts",
                    "text",
                    "candidate_0",
                    "candidate_1",
                    "choice",
                    "completions",
                    "score",
                    "completion",
                    "systemInstruction",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)


def _check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.jsonl"
        path.write_bytes(data)
        try:
            report = validate_file(path, workers=1)
        except TunectlError:
            pass  # a diagnostic is an acceptable outcome
        else:
            assert all(f.code in CHECKS for f in [*report.errors, *report.warnings])
            assert report.valid is (not report.errors)
        assert path.read_bytes() == data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_end_in_a_report_or_a_diagnostic(data: bytes) -> None:
    _check(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_json, min_size=1, max_size=6))
def test_random_json_lines_end_in_a_report_or_a_diagnostic(values: list[object]) -> None:
    _check("".join(json.dumps(v) + "\n" for v in values).encode())
