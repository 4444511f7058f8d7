"""The pack's configuration: Pulumi's `--policy-pack-config` file, read the same way offline.

The file maps a policy id (or `all`) to an enforcement level, or to an object holding an optional
`enforcementLevel` and that policy's properties:

    {"all": "mandatory", "location-eu-residency": {"euResidency": true}}

Live, the Pulumi engine checks it against each policy's schema and hands each policy its own
properties. Offline, `load_pack_config` does the same checks (the subset of JSON schema the pack
uses: type, items, additionalProperties, minimum, maximum), and `settings_for` merges the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import RULES, RULES_BY_ID
from .model import Enforcement, Rule

STACK_CONFIG_DIR = Path(__file__).resolve().parent / "stacks"
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "array": (list,),
    "object": (dict,),
}


class PackConfigError(ValueError):
    """A pack config file the pack cannot use; `where` names the file and key."""

    def __init__(self, message: str, *, where: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint


@dataclass(frozen=True)
class PolicySetting:
    enforcement: Enforcement | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PackConfig:
    """Per-policy settings as given (defaults are not filled in here), and where they came from."""

    policies: Mapping[str, PolicySetting] = field(default_factory=dict)
    all: Enforcement | None = None
    source: Path | None = None

    def settings_for(self, rule: Rule) -> tuple[Enforcement, dict[str, Any]]:
        """The enforcement level and the full property set (defaults, then the file) for `rule`."""
        setting = self.policies.get(rule.id, PolicySetting())
        enforcement = setting.enforcement or self.all or rule.enforcement
        return enforcement, {**rule.defaults(), **setting.properties}


def _type_ok(value: Any, json_type: str) -> bool:
    if isinstance(value, bool) and json_type in {"integer", "number"}:
        return False
    return isinstance(value, _JSON_TYPES[json_type])


def check_value(value: Any, schema: Mapping[str, Any], where: str) -> None:
    """Raise PackConfigError when `value` breaks `schema` (the keywords the pack's schemas use)."""
    json_type = schema.get("type")
    if json_type and not _type_ok(value, json_type):
        raise PackConfigError(f"{where} must be a JSON {json_type}", where=where, hint=_describe(schema))
    if "minimum" in schema and value < schema["minimum"]:
        raise PackConfigError(
            f"{where} must be at least {schema['minimum']}", where=where, hint=_describe(schema)
        )
    if "maximum" in schema and value > schema["maximum"]:
        raise PackConfigError(
            f"{where} must be at most {schema['maximum']}", where=where, hint=_describe(schema)
        )
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            check_value(item, schema["items"], f"{where}[{index}]")
    if isinstance(value, dict) and "additionalProperties" in schema:
        for key, item in value.items():
            check_value(item, schema["additionalProperties"], f"{where}.{key}")


def _describe(schema: Mapping[str, Any]) -> str:
    return str(schema.get("description") or f"expected a {schema.get('type')}")


def _enforcement(value: Any, where: str) -> Enforcement:
    try:
        return Enforcement(value)
    except ValueError:
        choices = ", ".join(level.value for level in Enforcement)
        raise PackConfigError(
            f"{where} is {value!r}, not an enforcement level", where=where, hint=f"use one of {choices}"
        ) from None


def parse_pack_config(data: Any, *, source: Path | None = None) -> PackConfig:
    origin = str(source) if source else "pack config"
    if not isinstance(data, dict):
        raise PackConfigError(
            "the pack config must be a JSON object", where=origin, hint="see policies/README.md"
        )
    policies: dict[str, PolicySetting] = {}
    all_level = None
    for name, value in data.items():
        where = f"{origin}: {name}"
        if name == "all":
            all_level = _enforcement(value, where)
            continue
        rule = RULES_BY_ID.get(name)
        if rule is None:
            raise PackConfigError(
                f"unknown policy {name!r}", where=where, hint=f"policies: {', '.join(r.id for r in RULES)}"
            )
        if isinstance(value, str):
            policies[name] = PolicySetting(enforcement=_enforcement(value, where))
            continue
        if not isinstance(value, dict):
            raise PackConfigError(
                f"{where} must be an enforcement level or an object",
                where=where,
                hint="see policies/README.md",
            )
        properties = {key: item for key, item in value.items() if key != "enforcementLevel"}
        for key, item in properties.items():
            if key not in rule.config:
                known = ", ".join(rule.config) or "none"
                raise PackConfigError(
                    f"policy {name!r} has no property {key!r}",
                    where=f"{where}.{key}",
                    hint=f"its properties: {known}",
                )
            check_value(item, rule.config[key], f"{where}.{key}")
        level = value.get("enforcementLevel")
        policies[name] = PolicySetting(
            enforcement=None if level is None else _enforcement(level, f"{where}.enforcementLevel"),
            properties=properties,
        )
    return PackConfig(policies=policies, all=all_level, source=source)


def load_pack_config(path: Path) -> PackConfig:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackConfigError(
            "the pack config file does not exist", where=str(path), hint="check the path"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackConfigError(
            f"the pack config is not valid JSON: {exc}", where=str(path), hint="fix the syntax"
        ) from exc
    return parse_pack_config(data, source=path)


def stack_config_path(stack: str) -> Path | None:
    """The checked-in pack config for a stack name (`policies/stacks/<stack>.json`), if there is one."""
    path = STACK_CONFIG_DIR / f"{stack}.json"
    return path if path.is_file() else None


def pack_config_schema() -> dict[str, Any]:
    """JSON schema of a whole `--policy-pack-config` file, built from the rules' own schemas."""
    levels = {"enum": [level.value for level in Enforcement]}
    properties: dict[str, Any] = {"all": levels}
    for rule in RULES:
        properties[rule.id] = {
            "description": rule.description,
            "oneOf": [
                levels,
                {
                    "type": "object",
                    "properties": {"enforcementLevel": levels, **rule.config},
                    "additionalProperties": False,
                },
            ],
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "tunectl guardrails policy pack config",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


SCHEMA_PATH = Path(__file__).resolve().parent / "config.schema.json"


def schema_text() -> str:
    """What `policies/config.schema.json` holds (editors validate stack pack configs with it)."""
    return json.dumps(pack_config_schema(), indent=2) + "\n"
