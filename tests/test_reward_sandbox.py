"""Code-snippet rewards run in a child process with a time and a memory limit; each failure is a clear
per-example error, and the next example gets a working process again."""

from __future__ import annotations

import os

from ops.reinforcement.sandbox import CodeSandbox, SandboxLimits
from ops.reinforcement.score import LocalScorer, model_content

EXAMPLE = {"contents": [{"role": "user", "parts": [{"text": "6 x 7?"}]}], "references": {"answer": "42"}}
RIGHT = model_content("42")
FAST = SandboxLimits(timeout_s=0.3, memory_mb=256)

MATCH = """
def evaluate(example, response):
    text = response["parts"][0]["text"]
    return 1.0 if text == example["references"]["answer"] else -1.0
"""


def run(snippet: str, limits: SandboxLimits = FAST) -> list[tuple[float | None, str | None]]:
    """Two calls in a row: the second shows the sandbox recovered (or failed the same way)."""
    with CodeSandbox(snippet, limits) as sandbox:
        return [
            (r.reward, r.error) for r in (sandbox.evaluate(EXAMPLE, RIGHT), sandbox.evaluate(EXAMPLE, RIGHT))
        ]


def test_evaluate_receives_the_example_and_the_response_content() -> None:
    assert run(MATCH) == [(1.0, None), (1.0, None)]


def test_a_snippet_that_runs_too_long_is_stopped_at_the_time_limit() -> None:
    results = run("def evaluate(example, response):\n    while True:\n        pass\n")
    assert all(reward is None and "time limit" in (error or "") for reward, error in results)


def test_a_snippet_that_raises_names_the_exception_and_its_line() -> None:
    [(reward, error), _] = run("def evaluate(example, response):\n    return example['nope']\n")
    assert reward is None and error == "evaluate raised KeyError: 'nope' (snippet line 2)"


def test_a_non_numeric_result_is_an_error() -> None:
    [(reward, error), _] = run("def evaluate(example, response):\n    return 'high'\n")
    assert reward is None and error == "evaluate returned str 'high', not a number"
    [(_, error_nan), _] = run("def evaluate(example, response):\n    return float('nan')\n")
    assert "not a finite number" in (error_nan or "")


def test_a_snippet_over_the_memory_limit_fails_without_harming_tunectl() -> None:
    snippet = "def evaluate(example, response):\n    block = bytearray(512 * 1024 * 1024)\n    return 1.0\n"
    [(reward, error), _] = run(snippet)
    assert reward is None and "memory" in (error or "")


def test_a_snippet_that_exits_or_fails_to_load_is_reported() -> None:
    [(_, exited), (_, again)] = run("import sys\ndef evaluate(example, response):\n    sys.exit(3)\n")
    assert exited == again == "the snippet ended its process (exit status 3), e.g. by calling exit()"
    [(_, load), _] = run("import no_such_module_here\ndef evaluate(example, response):\n    return 1\n")
    assert "failed to load: ModuleNotFoundError" in (load or "")


def test_the_snippet_runs_in_another_process_and_its_prints_do_not_break_the_protocol() -> None:
    snippet = (
        "import os\ndef evaluate(example, response):\n    print('noise')\n    return os.getpid() / 1e9\n"
    )
    [(reward, error), _] = run(snippet)
    assert error is None and reward is not None and round(reward * 1e9) != os.getpid()


def test_code_rewards_are_clipped_and_get_the_parsed_response() -> None:
    single = {
        "parseResponseConfig": {"parseType": "REGEX_EXTRACT", "regexExtractExpression": "<a>(.*)</a>"},
        "codeExecutionRewardScorer": {
            "pythonCodeSnippet": "def evaluate(e, r):\n  return 5 if r['parts'][0]['text'] == '42' else -3\n"
        },
    }
    with LocalScorer(FAST) as local:
        assert local.score(single, EXAMPLE, model_content("so <a>42</a>")).value == 1.0
        assert local.score(single, EXAMPLE, model_content("<a>41</a>")).value == -1.0
