"""Reading camelCase property trees the way both callers hand them over.

Offline the inventory holds plain dicts and lists; live, `pulumi_policy` wraps them in read-only
`Mapping`/`Sequence` proxies that raise on values unknown during preview. So rules test for the
abstract types, never `dict`/`list`, and let the proxy's error propagate (the pack reports it as
"can't run during preview").
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def dig(props: Any, *path: str) -> Any:
    """The value at `path`, or None when any step is missing. Pulumi passes single nested blocks
    (e.g. `versioning`) as objects, but some providers hand a one-element list: accept both."""
    value = props
    for key in path:
        if is_list(value) and len(value) == 1:
            value = value[0]
        if not is_mapping(value) or key not in value:
            return None
        value = value[key]
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if is_list(value) else [value]


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if is_mapping(value) else {}


def walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string leaf with its dotted path, e.g. ("bindings.0.members.1", "allUsers")."""
    if isinstance(value, str):
        yield path, value
    elif is_mapping(value):
        for key in value:
            yield from walk_strings(value[key], f"{path}.{key}" if path else str(key))
    elif is_list(value):
        for index, item in enumerate(value):
            yield from walk_strings(item, f"{path}.{index}" if path else str(index))


class BodyError(ValueError):
    """A scheduler job body that is not base64-encoded JSON."""


def decode_json_body(body: Any) -> Any:
    """Cloud Scheduler HTTP bodies are base64 in the API and in Pulumi's inputs."""
    if not isinstance(body, str):
        raise BodyError("the body is missing")
    try:
        raw = base64.b64decode(body, validate=True)
        return json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BodyError(f"the body is not base64-encoded JSON ({exc})") from exc
