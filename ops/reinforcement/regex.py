"""Regular expressions as Google evaluates them: RE2, checked here with Python's `re`.

`REGEX_CONTAINS` is documented as GoogleSQL's `REGEXP_CONTAINS` and `REGEX_EXTRACT` as GoogleSQL's
`REGEXP_EXTRACT` (enum docstrings of `MatchOperation` and `ResponseParseType` in google-genai 2.34 and
the aiplatform v1beta1 discovery document, read 2026-12-02); GoogleSQL's regular expressions are RE2
("uses the re2 library", https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_contains,
read 2026-12-02). RE2 has no backtracking features, so a pattern Python compiles can still fail at
Google: lookarounds, backreferences, conditionals, atomic groups and possessive repeats are refused
here before a run. For the patterns RE2 accepts, Python's `re` agrees on what matches, which is what
local scoring relies on.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# `re._parser` (sre_parse) is the only way to see a pattern's structure; it is private, so it is
# loaded by name and used only to name the constructs RE2 lacks.
_PARSER: Any = importlib.import_module("re._parser")

_NOT_IN_RE2: dict[str, str] = {
    "ASSERT": "lookahead/lookbehind (?=...) (?<=...)",
    "ASSERT_NOT": "negative lookahead/lookbehind (?!...) (?<!...)",
    "GROUPREF": "backreference (\\1, (?P=name))",
    "GROUPREF_EXISTS": "conditional group (?(1)...)",
    "ATOMIC_GROUP": "atomic group (?>...)",
    "POSSESSIVE_REPEAT": "possessive repeat (*+, ++, ?+)",
}


def _unsupported(node: Any) -> str | None:
    """The first RE2-unsupported construct anywhere in a parsed pattern (a tree of (opcode, arg))."""
    if isinstance(node, _PARSER.SubPattern):
        node = list(node)
    if isinstance(node, tuple) and len(node) == 2 and str(node[0]) in _NOT_IN_RE2:
        return _NOT_IN_RE2[str(node[0])]
    if isinstance(node, (list, tuple)):
        for child in node:
            found = _unsupported(child)
            if found:
                return found
    return None


def regex_problem(pattern: str) -> str | None:
    """Why Google's RE2 would refuse `pattern`, or None. Checks Python's `re` first (syntax)."""
    try:
        re.compile(pattern)
    except re.error as err:
        return f"does not compile: {err}"
    found = _unsupported(_PARSER.parse(pattern))
    if found:
        return f"uses {found}, which RE2 (Google's regex engine) does not support"
    return None


def capture_groups(pattern: str) -> int:
    return re.compile(pattern).groups
