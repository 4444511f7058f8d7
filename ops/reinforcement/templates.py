"""The `{{...}}` placeholders of reward expressions and autorater prompts.

google-genai 2.34's docstrings (read 2026-12-02): a string-match `expression` and an autorater
`exactMatchScorer.expression` may hold `{{references.key}}`, replaced by the example's
`references[key]` before matching; an `autoraterPrompt` may also hold `{{prompt}}`, `{{response}}`
and `{{system_instruction}}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
REFERENCE_PREFIX = "references."
AUTORATER_NAMES = frozenset({"prompt", "response", "system_instruction"})


def placeholders(text: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(text)]


def reference_keys(text: str) -> set[str]:
    return {name[len(REFERENCE_PREFIX) :] for name in placeholders(text) if name.startswith(REFERENCE_PREFIX)}


def unknown_placeholders(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    return [
        name
        for name in placeholders(text)
        if not (name.startswith(REFERENCE_PREFIX) and len(name) > len(REFERENCE_PREFIX))
        and name not in allowed
    ]


def substitute(text: str, references: Mapping[str, str], *, escape: bool = False) -> str:
    """`text` with every `{{references.key}}` replaced; a key the example lacks raises KeyError.

    `escape` quotes the value for a regex: Google's docs substitute the raw value, so we do not by
    default (a reference like `3.5` is then a regex where `.` matches any character, as at Google).
    """

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if not name.startswith(REFERENCE_PREFIX):
            return match.group(0)
        found = references[name[len(REFERENCE_PREFIX) :]]
        return re.escape(found) if escape else found

    return PLACEHOLDER.sub(value, text)
