"""List semantics shared by the servers: AIP-158 page tokens and the AIP-160 filter subset Vertex uses."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from tests.cloud.server import ApiError

T = TypeVar("T")

# `labels.team="nlp"`, `labels."run-id"="42"`, `labels.team:*`, `state="JOB_STATE_RUNNING"`,
# `display_name="x"`, joined with AND (Vertex list filters, AIP-160).
_TERM = re.compile(
    r'^\s*(?:labels\.(?P<label>"[^"]+"|[A-Za-z0-9_-]+)|(?P<field>[a-z_]+))\s*'
    r'(?:(?P<op>=|!=)\s*(?P<value>"[^"]*"|[^\s"]+)|(?P<has>:\s*\*))\s*$'
)


def paginate(
    items: Sequence[T], page_size: str | None, page_token: str | None, default: int
) -> tuple[list[T], str]:
    """One page and the token of the next ("" when this is the last page)."""
    size = int(page_size) if page_size else default
    if size <= 0:
        size = default
    start = 0
    if page_token:
        try:
            start = int(base64.urlsafe_b64decode(page_token.encode()).decode().removeprefix("offset:"))
        except ValueError as exc:
            raise ApiError(400, f"invalid page token {page_token!r}") from exc
    page = list(items[start : start + size])
    more = start + size < len(items)
    token = base64.urlsafe_b64encode(f"offset:{start + size}".encode()).decode() if more else ""
    return page, token


def label_filter(
    expression: str | None, fields: Mapping[str, str] | None = None
) -> Callable[[Mapping[str, Any]], bool]:
    """Compile a Vertex list filter into a predicate on a resource dict.

    `fields` maps filter names to resource keys (`display_name` -> `displayName`). Anything outside
    the supported subset is a 400: silently matching everything would hide a wrong filter.
    """
    if not expression or not expression.strip():
        return lambda _resource: True
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    for term in re.split(r"\s+AND\s+", expression.strip()):
        found = _TERM.match(term)
        if not found:
            raise ApiError(
                400,
                f"unsupported filter term {term!r}: the test server understands "
                'labels.KEY="VALUE", labels.KEY:*, FIELD="VALUE" and AND',
            )
        checks.append(_term_check(found, fields or {}))
    return lambda resource: all(check(resource) for check in checks)


def _term_check(found: re.Match[str], fields: Mapping[str, str]) -> Callable[[Mapping[str, Any]], bool]:
    value = (found.group("value") or "").strip('"')
    negate = found.group("op") == "!="
    if found.group("label"):
        key = found.group("label").strip('"')
        if found.group("has"):
            return lambda r: key in (r.get("labels") or {})
        return lambda r: ((r.get("labels") or {}).get(key) == value) != negate
    name = found.group("field")
    if name not in fields:
        raise ApiError(400, f"unsupported filter field {name!r} (known: {sorted(fields)})")
    return lambda r: (str(r.get(fields[name])) == value) != negate
