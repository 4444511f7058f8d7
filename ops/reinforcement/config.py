"""Reward config files: the API's `singleRewardConfig` or `compositeRewardConfig`, checked before a run.

A file (JSON, or YAML read with a `yaml.SafeLoader`; in both a key given twice in one object is
refused with its line, where the usual readers keep the last one) holds exactly one top-level key,
`singleRewardConfig` or `compositeRewardConfig` (either proto3 spelling), whose value is sent as is in
the v1beta1 `reinforcementTuningSpec` and in `tuningJobs:validateReinforcementTuningReward`.

The shape is google-genai's (2.34) pydantic types, walked field by field so an error names its field
path: google-genai itself would accept an unknown enum value with a warning (`CaseInSensitiveEnum`), and
it is only installed at runtime (the aiplatform v1beta1 discovery document ships with
google-api-python-client, a dev dependency); tests/test_reward_config.py checks the accepted fields
against that discovery document so a drift between the two is caught. Field names are converted to
lowerCamel; the keys of maps and Structs never are.

Beyond the schema, what a run would otherwise find out hours later: a single reward names exactly one
scorer; regexes compile as RE2 (`regex.py`); a string-match reward's correct and wrong values differ
and lie in [-1, 1] (the service clips rewards to [-1, 1]: google-genai 2.34 docstrings of
`ReinforcementTuningStringMatchRewardScorer`, read 2026-12-02); a composite holds 1 to 16 rewards with
positive weights (total = sum(weight * reward) / sum(weight), `WeightedRewardConfig.weight` docstring);
a code snippet parses and defines `evaluate(example, response)`; `cloudRunUri` is https.
"""

from __future__ import annotations

import ast
import difflib
import enum
import json
import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ops.errors import TunectlError
from ops.reinforcement import templates
from ops.reinforcement.inputs import refuse_remote
from ops.reinforcement.regex import capture_groups, regex_problem

# At most 16 rewards in a composite ("+ Add another reward (up to 16 rewards)"), every reward clipped
# to [-1, 1]: Google's reward functions page, https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/reinforcement-tuning/reinforcement-tuning-job/reward-functions
# (read 2026-12-02). The schema itself sets no maximum.
MAX_COMPOSITE_REWARDS = 16
REWARD_BOUNDS = (-1.0, 1.0)
TOP_LEVEL = {"singleRewardConfig": "single", "single_reward_config": "single"}
TOP_LEVEL |= {"compositeRewardConfig": "composite", "composite_reward_config": "composite"}
SCORERS = ("stringMatchRewardScorer", "codeExecutionRewardScorer", "cloudRunRewardScorer", "autoraterScorer")
# The service calls this function of a code snippet (`ReinforcementTuningCodeExecutionRewardScorer`
# docstring, google-genai 2.34, read 2026-12-02): `def evaluate(example, response) -> float`.
CODE_FUNCTION = "evaluate"
# google-genai fields that the v1beta1 REST schema does not have (the autorater's generationConfig is
# the Gemini API's, which has a few more): refused as unknown, as the service would.
NOT_IN_V1BETA1 = frozenset(
    {"enableEnhancedCivicAnswers", "modelSelectionConfig", "consentAudio", "voiceConsentSignature"}
)
MERGE_TAG = "tag:yaml.org,2002:merge"
HINT_DOCS = "see `tunectl reward test --help` and the reward config section of README.md"


@dataclass(frozen=True)
class KeyReads:
    """The keys of an example's `references` a reward reads: `required` ones it reads unconditionally
    (`{{references.KEY}}`, `references["KEY"]`: an example without the key fails), `optional` ones it
    reads with `.get("KEY")` or tests with `"KEY" in references` (the snippet copes without them)."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()

    def __or__(self, other: KeyReads) -> KeyReads:
        optional = self.optional | other.optional
        return KeyReads((self.required | other.required) - optional, optional)

    @staticmethod
    def of(keys: set[str]) -> KeyReads:
        return KeyReads(frozenset(keys))


@dataclass(frozen=True)
class RewardConfig:
    path: str  # the file it came from
    # {"singleRewardConfig": {...}} or {"compositeRewardConfig": {...}}, camelCase, as sent
    api: dict[str, Any]
    # keys of each example's `references` map that these rewards read unconditionally: an example
    # without one of them fails (`dataset validate --reward-config` checks them)
    reference_keys: frozenset[str]
    optional_reference_keys: frozenset[str] = frozenset()  # read with `.get(...)` or tested with `in`

    @property
    def composite(self) -> bool:
        return "compositeRewardConfig" in self.api

    def rewards(self) -> list[tuple[str, float, dict[str, Any]]]:
        """(name, weight, singleRewardConfig) of each reward; a single reward has weight 1."""
        if not self.composite:
            single = self.api["singleRewardConfig"]
            return [(single.get("rewardName") or "reward", 1.0, single)]
        weighted = self.api["compositeRewardConfig"]["weightedRewardConfigs"]
        return [
            (w["rewardConfig"].get("rewardName") or f"reward[{i}]", float(w["weight"]), w["rewardConfig"])
            for i, w in enumerate(weighted)
        ]


class _Problem(Exception):
    def __init__(self, field: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.hint = hint


def load_reward_config(path: Path) -> RewardConfig:
    """Read and check a reward config file; every problem is a usage error (exit 2) naming the field."""
    return reward_config_from(_read(path), str(path))


def reward_config_from(raw: Any, where: str) -> RewardConfig:
    """Check a reward config already read (a file's, or the one inside a scheduled job's body, named
    by `where`); every problem is a usage error (exit 2) naming the field."""
    try:
        api, keys = _check(raw)
    except _Problem as problem:
        at = f"{where}: {problem.field}" if problem.field else where
        raise TunectlError(
            "reward-config-invalid", problem.message, where=at, hint=problem.hint or HINT_DOCS
        ) from None
    return RewardConfig(
        path=where, api=api, reference_keys=keys.required, optional_reference_keys=keys.optional
    )


def _read(path: Path) -> Any:
    refuse_remote(path, "reward-config", "the reward config")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TunectlError(
            "reward-config-missing",
            f"no reward config at {path}",
            where=str(path),
            hint="pass an existing .yaml or .json file",
        ) from None
    except OSError as err:
        raise TunectlError(
            "reward-config-unreadable",
            f"cannot read {path}: {err.strerror or err}",
            where=str(path),
            hint="pass a readable .yaml or .json file",
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line, column = position(data, err.start)
        raise TunectlError(
            "reward-config-unreadable",
            f"{path} is not UTF-8 text: byte 0x{data[err.start : err.start + 1].hex()} is not valid UTF-8",
            where=f"{path}:{line}:{column}",
            hint="save the file as UTF-8",
        ) from None
    if path.suffix.lower() == ".json":
        return _read_json(path, text)
    return _read_yaml(path, text)


def position(data: bytes | str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of `offset` in `data`."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    before = data[:offset]
    return before.count(newline) + 1, offset - (before.rfind(newline) + 1) + 1  # type: ignore[arg-type]


def _duplicate(path: Path, key: str, line: int, column: int) -> TunectlError:
    return TunectlError(
        "reward-config-invalid",
        f"key {key!r} is given twice in one object (a reader would silently keep the last one)",
        where=f"{path}:{line}:{column}",
        hint="remove one of them",
    )


def _read_json(path: Path, text: str) -> Any:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise TunectlError(
            "reward-config-invalid",
            f"not valid JSON: {err.msg}",
            where=f"{path}:{err.lineno}:{err.colno}",
            hint="fix the JSON syntax, or write the file as YAML (.yaml)",
        ) from None
    found = json_duplicate_key(text)
    if found is not None:
        key, offset = found
        raise _duplicate(path, key, *position(text, offset))
    return raw


def json_duplicate_key(text: str) -> tuple[str, int] | None:
    """The first key (in text order) given twice in one object of valid JSON `text`, and its offset.

    `json.loads` keeps the last of two equal keys, and an `object_pairs_hook` sees the pairs without
    their places: a walk over the tokens names the line."""
    seen: list[set[str] | None] = []  # per open bracket: the keys of an object, None for an array
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            end = i + 1
            while text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            after = end + 1
            while after < n and text[after] in " \t\r\n":
                after += 1
            keys = seen[-1] if seen else None
            if keys is not None and after < n and text[after] == ":":
                key = json.loads(text[i : end + 1])
                if key in keys:
                    return key, i
                keys.add(key)
            i = end + 1
            continue
        if char == "{":
            seen.append(set())
        elif char == "[":
            seen.append(None)
        elif char in "}]":
            seen.pop()
        i += 1
    return None


def _read_yaml(path: Path, text: str) -> Any:
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """`safe_load` keeps the last of two equal keys without a word: refuse them instead."""

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            keys: set[Any] = set()
            for key_node, _ in node.value:
                # Scalar keys only (what a reward file has); `<<` merges may be overridden on purpose.
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE_TAG:
                    continue
                key = self.construct_object(key_node)
                if key in keys:
                    mark = key_node.start_mark
                    raise _duplicate(path, str(key), mark.line + 1, mark.column + 1)
                keys.add(key)
            return super().construct_mapping(node, deep)

    try:
        return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader: builds plain data only
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or str(err)
        raise TunectlError(
            "reward-config-invalid", f"not valid YAML: {problem}", where=where, hint="fix the YAML syntax"
        ) from None


def _check(raw: Any) -> tuple[dict[str, Any], KeyReads]:
    from google.genai import types as genai

    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in TOP_LEVEL:
        if raw is None:  # YAML reads an empty file (or only comments) as null
            found = "an empty file"
        else:
            found = ", ".join(map(str, raw)) if isinstance(raw, dict) else type(raw).__name__
        raise _Problem(
            "",
            "a reward config holds exactly one of singleRewardConfig or compositeRewardConfig "
            f"(found: {found or 'nothing'})",
            "put the reward under `singleRewardConfig:`, or several under "
            "`compositeRewardConfig: {weightedRewardConfigs: [...]}`",
        )
    key, value = next(iter(raw.items()))
    if TOP_LEVEL[key] == "single":
        single = _walk(value, genai.SingleReinforcementTuningRewardConfig, "singleRewardConfig")
        return {"singleRewardConfig": single}, _check_single(single, "singleRewardConfig")
    composite = _walk(value, genai.CompositeReinforcementTuningRewardConfig, "compositeRewardConfig")
    return {"compositeRewardConfig": composite}, _check_composite(composite)


# --- the schema walk ----------------------------------------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _fields(model: type) -> dict[str, tuple[str, Any]]:
    """Both spellings of each field -> (lowerCamel name, annotation)."""
    out: dict[str, tuple[str, Any]] = {}
    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        camel = info.alias or _camel(name)
        if camel in NOT_IN_V1BETA1:
            continue
        out[name] = (camel, info.annotation)
        out[camel] = (camel, info.annotation)
    return out


def accepted_fields(model: type) -> set[str]:
    """The lowerCamel field names accepted for `model` (for the drift test against the discovery doc)."""
    return {camel for camel, _ in _fields(model).values()}


def _unwrap(annotation: Any) -> Any:
    """`Optional[X]` -> X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _walk(value: Any, model: type, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Problem(where, f"expected an object (mapping), found {_json_type(value)}")
    fields = _fields(model)
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), sorted({c for c, _ in fields.values()}), n=1)
            known = ", ".join(sorted({c for c, _ in fields.values()}))
            raise _Problem(
                f"{where}.{key}",
                f"unknown field {key!r}",
                f"did you mean {close[0]!r}?" if close else f"fields allowed here: {known}",
            )
        camel, annotation = fields[key]
        if camel in out:
            raise _Problem(f"{where}.{camel}", f"{camel!r} is given twice (camelCase and snake_case)")
        if item is None:
            continue  # proto3 JSON: null means the field is not set
        out[camel] = _value(item, _unwrap(annotation), f"{where}.{camel}")
    return out


def _value(value: Any, kind: Any, where: str) -> Any:
    import pydantic

    origin = typing.get_origin(kind)
    if isinstance(kind, type) and issubclass(kind, pydantic.BaseModel):
        return _walk(value, kind, where)
    if origin is list:
        if not isinstance(value, list):
            raise _Problem(where, f"expected a list, found {_json_type(value)}")
        (item_kind,) = typing.get_args(kind) or (Any,)
        return [_value(item, _unwrap(item_kind), f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        names = [member.value for member in kind]
        if value not in names:
            close = [n for n in names if isinstance(value, str) and n == value.upper()]
            raise _Problem(
                where,
                f"{value!r} is not a valid value",
                f"write {close[0]!r} (enum values are upper case)"
                if close
                else f"use one of {', '.join(names)}",
            )
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise _Problem(where, f"expected true or false, found {_json_type(value)}")
        return value
    if kind in (float, int):
        return _number(value, kind, where)
    if kind is str:
        if not isinstance(value, str):
            raise _Problem(where, f"expected a string, found {_json_type(value)}", "quote the value")
        return value
    # Maps, Structs and free-form JSON (e.g. a response schema): passed through, keys untouched.
    return value


def _number(value: Any, kind: type, where: str) -> int | float:
    # proto3 JSON also accepts numbers written as strings ("0.5", "3").
    number: int | float
    try:
        if isinstance(value, bool):
            raise ValueError
        number = kind(value) if isinstance(value, str) else value
        if not isinstance(number, (int, float)):
            raise ValueError
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise _Problem(where, f"expected {what}, found {value!r}") from None
    if kind is int and isinstance(number, float):
        if not number.is_integer():
            raise _Problem(where, f"expected an integer, found {value!r}")
        number = int(number)
    if isinstance(number, float) and not math.isfinite(number):
        raise _Problem(where, f"expected a finite number, found {value!r}")
    return number


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list"}.get(
        type(value), "an object"
    )


# --- rules beyond the schema ------------------------------------------------------------------------


def _check_composite(composite: dict[str, Any]) -> KeyReads:
    where = "compositeRewardConfig.weightedRewardConfigs"
    weighted = composite.get("weightedRewardConfigs") or []
    if not weighted:
        raise _Problem(where, "a composite reward needs at least one weighted reward config")
    if len(weighted) > MAX_COMPOSITE_REWARDS:
        raise _Problem(
            where,
            f"{len(weighted)} rewards; a composite holds at most {MAX_COMPOSITE_REWARDS}",
            "merge rewards, e.g. several checks in one code snippet",
        )
    keys = KeyReads()
    names: dict[str, int] = {}
    for i, item in enumerate(weighted):
        here = f"{where}[{i}]"
        weight = item.get("weight")
        if weight is None or weight <= 0:
            raise _Problem(
                f"{here}.weight",
                "missing weight" if weight is None else f"weight {weight} is not positive",
                "give each reward a weight > 0: the total is sum(weight * reward) / sum(weight)",
            )
        if "rewardConfig" not in item:
            raise _Problem(
                f"{here}.rewardConfig", "missing rewardConfig", "add the single reward config it weighs"
            )
        keys = keys | _check_single(item["rewardConfig"], f"{here}.rewardConfig")
        name = item["rewardConfig"].get("rewardName")
        if name is not None:
            if name in names:
                raise _Problem(
                    f"{here}.rewardConfig.rewardName",
                    f"reward name {name!r} is also used by {where}[{names[name]}]",
                    "reward names identify each reward in the job's metrics: make them unique",
                )
            names[name] = i
    return keys


def _check_single(single: dict[str, Any], where: str) -> KeyReads:
    present = [s for s in SCORERS if s in single]
    if len(present) != 1:
        found = ", ".join(present) if present else "none"
        raise _Problem(
            where,
            f"a single reward names exactly one scorer (found: {found})",
            f"use one of {', '.join(SCORERS)}; combine several with compositeRewardConfig",
        )
    if "parseResponseConfig" in single:
        _check_parse(single["parseResponseConfig"], f"{where}.parseResponseConfig")
    scorer = present[0]
    body = single[scorer]
    here = f"{where}.{scorer}"
    if scorer == "stringMatchRewardScorer":
        return KeyReads.of(_check_string_match(body, here))
    if scorer == "codeExecutionRewardScorer":
        return _check_code(body, here)
    if scorer == "cloudRunRewardScorer":
        _check_cloud_run(body, here)
        return KeyReads()
    return KeyReads.of(_check_autorater(body, here))


def _check_parse(parse: dict[str, Any], where: str) -> None:
    kind = parse.get("parseType", "RESPONSE_PARSE_TYPE_UNSPECIFIED")
    regex = parse.get("regexExtractExpression")
    if kind == "REGEX_EXTRACT":
        if not regex:
            raise _Problem(
                f"{where}.regexExtractExpression",
                "REGEX_EXTRACT needs a regexExtractExpression",
                'e.g. "<answer>(.*?)</answer>": the last match\'s group is passed to the reward',
            )
        _check_regex(regex, f"{where}.regexExtractExpression")
        if capture_groups(regex) > 1:
            raise _Problem(
                f"{where}.regexExtractExpression",
                f"{capture_groups(regex)} capture groups; REGEX_EXTRACT takes at most one "
                "(GoogleSQL REGEXP_EXTRACT)",
                "make the other groups non-capturing: (?:...)",
            )
    elif regex is not None:
        raise _Problem(
            f"{where}.regexExtractExpression",
            f"regexExtractExpression is only used with parseType REGEX_EXTRACT (parseType is {kind})",
            "set parseType: REGEX_EXTRACT, or remove the expression",
        )


def _check_regex(pattern: str, where: str) -> None:
    # Placeholders are filled per example before matching: check the pattern around them.
    problem = regex_problem(templates.PLACEHOLDER.sub("x", pattern))
    if problem:
        raise _Problem(
            where,
            f"regex {pattern!r} {problem}",
            "write an RE2 pattern (https://github.com/google/re2/wiki/Syntax)",
        )


def _check_expression(expression: dict[str, Any], where: str) -> set[str]:
    operation = expression.get("matchOperation", "MATCH_OPERATION_UNSPECIFIED")
    if operation == "MATCH_OPERATION_UNSPECIFIED":
        raise _Problem(
            f"{where}.matchOperation",
            "matchOperation is not set (the service returns an error)",
            "use EXACT_MATCH, PARTIAL_MATCH or REGEX_CONTAINS",
        )
    text = expression.get("expression")
    if not text:
        raise _Problem(
            f"{where}.expression",
            "missing expression",
            'e.g. "{{references.answer}}" to compare with a reference',
        )
    _check_placeholders(text, f"{where}.expression")
    if operation == "REGEX_CONTAINS":
        _check_regex(text, f"{where}.expression")
    return templates.reference_keys(text)


def _check_placeholders(text: str, where: str, allowed: frozenset[str] = frozenset()) -> None:
    unknown = templates.unknown_placeholders(text, allowed)
    if unknown:
        names = ["{{references.KEY}}", *(f"{{{{{n}}}}}" for n in sorted(allowed))]
        raise _Problem(
            where,
            f"unknown placeholder {{{{{unknown[0]}}}}}",
            f"placeholders allowed here: {', '.join(names)}",
        )


def _check_rewards(body: dict[str, Any], where: str) -> None:
    correct = body.get("correctAnswerReward", 0.0)
    wrong = body.get("wrongAnswerReward", 0.0)
    low, high = REWARD_BOUNDS
    for field, value in (("correctAnswerReward", correct), ("wrongAnswerReward", wrong)):
        if not low <= value <= high:
            raise _Problem(
                f"{where}.{field}",
                f"{field} {value} is outside [-1, 1]; the service clips rewards to [-1, 1]",
                "use a value in [-1, 1]",
            )
    if correct == wrong:
        raise _Problem(
            where,
            f"correctAnswerReward and wrongAnswerReward are both {correct} (an unset one is 0): "
            "this reward cannot tell a right answer from a wrong one",
            "set e.g. correctAnswerReward: 1.0 and wrongAnswerReward: 0.0",
        )


def _check_string_match(body: dict[str, Any], where: str) -> set[str]:
    _check_rewards(body, where)
    kinds = [k for k in ("stringMatchExpression", "jsonMatchExpression") if k in body]
    if len(kinds) != 1:
        raise _Problem(
            where,
            "a string-match scorer needs exactly one of stringMatchExpression or jsonMatchExpression"
            + (" (both given)" if kinds else ""),
        )
    if kinds[0] == "stringMatchExpression":
        return _check_expression(body["stringMatchExpression"], f"{where}.stringMatchExpression")
    json_match = body["jsonMatchExpression"]
    here = f"{where}.jsonMatchExpression"
    if not json_match.get("keyName"):
        raise _Problem(
            f"{here}.keyName", "missing keyName", "name the first-level key of the JSON response to match"
        )
    if "valueStringMatchExpression" not in json_match:
        raise _Problem(f"{here}.valueStringMatchExpression", "missing valueStringMatchExpression")
    return _check_expression(json_match["valueStringMatchExpression"], f"{here}.valueStringMatchExpression")


def _check_code(body: dict[str, Any], where: str) -> KeyReads:
    code = body.get("pythonCodeSnippet")
    here = f"{where}.pythonCodeSnippet"
    if not code:
        raise _Problem(
            here, "missing pythonCodeSnippet", f"define `def {CODE_FUNCTION}(example, response) -> float`"
        )
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        raise _Problem(
            f"{here} (snippet line {err.lineno})",
            f"the code snippet does not parse: {err.msg}",
            "fix the Python syntax",
        ) from None
    function = next(
        (
            n
            for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == CODE_FUNCTION
        ),
        None,
    )
    if function is None:
        raise _Problem(
            here,
            f"the code snippet defines no top-level `{CODE_FUNCTION}` function; the service calls "
            f"`{CODE_FUNCTION}(example, response)`",
            f"add `def {CODE_FUNCTION}(example, response) -> float:`",
        )
    positional = [*function.args.posonlyargs, *function.args.args]
    if isinstance(function, ast.AsyncFunctionDef) or (len(positional) < 2 and function.args.vararg is None):
        raise _Problem(
            here,
            f"`{CODE_FUNCTION}` must be a plain function taking (example, response)",
            f"write `def {CODE_FUNCTION}(example, response) -> float:`",
        )
    return _code_reference_keys(tree)


def _code_reference_keys(tree: ast.AST) -> KeyReads:
    """Best effort, literal keys only: `references["k"]` (or `example["references"]["k"]`) reads `k`
    unconditionally, so every example needs it; `references.get("k")` and `"k" in references` mean
    the snippet copes without `k`, so it is optional (optional wins when a snippet does both)."""

    def is_references(node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in {"references", "refs"}
        if isinstance(node, ast.Subscript):
            return _literal(node.slice) == "references"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            return bool(node.args) and _literal(node.args[0]) == "references"
        return False

    required: set[str] = set()
    optional: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_references(node.value):
            key = _literal(node.slice)
            if key is not None:
                required.add(key)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and is_references(node.func.value)
            and node.args
        ):
            key = _literal(node.args[0])
            if key is not None:
                optional.add(key)
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], (ast.In, ast.NotIn))
        ):
            key = _literal(node.left)
            if key is not None and is_references(node.comparators[0]):
                optional.add(key)
    return KeyReads(frozenset(required - optional), frozenset(optional))


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _check_cloud_run(body: dict[str, Any], where: str) -> None:
    uri = body.get("cloudRunUri")
    here = f"{where}.cloudRunUri"
    if not uri:
        raise _Problem(
            here,
            "missing cloudRunUri",
            "give the service's https URL, e.g. https://reward-abc123-uc.a.run.app",
        )
    parts = urlsplit(uri)
    if parts.scheme != "https" or not parts.hostname:
        raise _Problem(
            here,
            f"cloudRunUri {uri!r} is not an https URL",
            "use the Cloud Run service's https URL "
            "(`gcloud run services describe SERVICE --format 'value(status.url)'`)",
        )


def _check_autorater(body: dict[str, Any], where: str) -> set[str]:
    keys: set[str] = set()
    prompt = body.get("autoraterPrompt")
    if not prompt:
        raise _Problem(
            f"{where}.autoraterPrompt",
            "missing autoraterPrompt",
            "write the rating prompt; it may use {{prompt}}, {{response}}, {{system_instruction}}, "
            "{{references.KEY}}",
        )
    _check_placeholders(prompt, f"{where}.autoraterPrompt", templates.AUTORATER_NAMES)
    keys |= templates.reference_keys(prompt)
    if "autoraterResponseParseConfig" in body:
        _check_parse(body["autoraterResponseParseConfig"], f"{where}.autoraterResponseParseConfig")
    scorers = [s for s in ("parsedResponseConversionScorer", "exactMatchScorer") if s in body]
    if len(scorers) != 1:
        raise _Problem(
            where,
            "an autorater scorer needs exactly one of parsedResponseConversionScorer or exactMatchScorer",
            "parsedResponseConversionScorer: {} turns the autorater's (parsed) answer into the reward",
        )
    if scorers[0] == "exactMatchScorer":
        exact = body["exactMatchScorer"]
        _check_rewards(exact, f"{where}.exactMatchScorer")
        expression = exact.get("expression")
        if not expression:
            raise _Problem(f"{where}.exactMatchScorer.expression", "missing expression")
        _check_placeholders(expression, f"{where}.exactMatchScorer.expression")
        keys |= templates.reference_keys(expression)
    return keys
