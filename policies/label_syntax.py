"""Google Cloud label syntax: the one definition the pack, the stack's config checks and `tunectl`
use (ops imports it from here, so the published pack carries it with no copy to keep in step).

Rules (https://cloud.google.com/resource-manager/docs/labels-overview#requirements, read 2026-12-02):
at most 64 labels; keys and values at most 63 characters; lowercase letters, digits, `_` and `-`
(international lowercase letters are allowed too); keys start with a lowercase letter and are never
empty.
"""

from __future__ import annotations

MAX_LABELS = 64
MAX_LENGTH = 63


def _allowed(char: str) -> bool:
    return char in "-_" or char.isdigit() or (char.isalpha() and char.islower())


def label_problem(key: str, value: str) -> str | None:
    """Why `key=value` is not a valid GCP label, or None when it is."""
    if not key:
        return "the key is empty"
    if len(key) > MAX_LENGTH:
        return f"the key is {len(key)} characters long (at most {MAX_LENGTH})"
    if not (key[0].isalpha() and key[0].islower()):
        return "the key must start with a lowercase letter"
    if bad := list(dict.fromkeys(c for c in key if not _allowed(c))):
        return f"the key contains {''.join(bad)!r} (allowed: lowercase letters, digits, '_' and '-')"
    if len(value) > MAX_LENGTH:
        return f"the value is {len(value)} characters long (at most {MAX_LENGTH})"
    if bad := list(dict.fromkeys(c for c in value if not _allowed(c))):
        return f"the value contains {''.join(bad)!r} (allowed: lowercase letters, digits, '_' and '-')"
    return None
