"""The scanner's compiled functions (`_fastscan.c`), or, when tunectl was installed without a C
compiler (the extension is optional in pyproject.toml), their pure-Python twin (`_pyscan.py`): the
same results, slower. The choice is made here, once, for every module that uses them."""

try:
    from ops.datasets._fastscan import (
        block_keys,
        gemini_parse,
        gemini_walk,
        line_keys,
        matches,
        partition_records,
        repeats,
        text_chars,
        turns_chars,
    )
except ImportError:
    from ops.datasets._pyscan import (
        block_keys,
        gemini_parse,
        gemini_walk,
        line_keys,
        matches,
        partition_records,
        repeats,
        text_chars,
        turns_chars,
    )

__all__ = [
    "block_keys",
    "gemini_parse",
    "gemini_walk",
    "line_keys",
    "matches",
    "partition_records",
    "repeats",
    "text_chars",
    "turns_chars",
]
