"""API contracts: which requests an API accepts and which responses it may send.

`DiscoveryContract` reads the discovery document that google-api-python-client ships for an API and
derives the route table (HTTP method + path template per method id) and the JSON schemas of request
and response bodies. A module whose API has no discovery document (Cloud Quotas) implements the
`Contract` protocol itself, e.g. by parsing bodies into the client library's proto messages.

Leniency follows Google's JSON-to-proto parser for requests (int64 as number or string, enums as
names or numbers, null for "unset", and a field under its lowerCamel or its original snake_case name:
"Parsers accept both the lowerCamelCase name ... and the original proto field name",
https://protobuf.dev/programming-guides/json/, read 2026-12-02; google-genai itself sends
`fileData.file_uri`) and Google's own output for responses (int64 as strings, enums as names, no
nulls, lowerCamel names only), so our code may send anything Google accepts and our servers return
only what Google returns. Map keys (`labels`, a Struct's keys) are data, never renamed.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Protocol

# Parameters every Google REST method accepts; `$alt` is how GAPIC REST clients ask for
# `json;enum-encoding=int`; `upload_id` names a resumable upload session.
SYSTEM_QUERY_PARAMETERS = frozenset(
    {"$alt", "$.xgafv", "alt", "fields", "key", "prettyPrint", "quotaUser", "upload_id"}
)

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^-?\d+$")
_UPPER = re.compile(r"([A-Z])")


def proto_name(json_name: str) -> str:
    """The original (snake_case) proto field name behind a discovery property's lowerCamel name."""
    return _UPPER.sub(lambda m: "_" + m.group(1).lower(), json_name)


def _property_names(value: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, str]:
    """Each key of a request object -> the property it sets: its lowerCamel name, or its snake_case
    proto name (Google's JSON parser reads both). Keys that name no property map to themselves."""
    if not properties:
        return {key: key for key in value}
    snake = {proto_name(name): name for name in properties}
    return {key: key if key in properties else snake.get(key, key) for key in value}


@dataclass(frozen=True)
class Violation:
    """One broken rule: which method, where in the request or response, and what rule."""

    api: str
    method: str
    where: str
    rule: str

    def __str__(self) -> str:
        return f"{self.api} {self.method}: {self.where}: {self.rule}"


@dataclass(frozen=True)
class Route:
    """One HTTP method + path template, bound to a method id (`aiplatform.projects...tuningJobs.get`)."""

    method_id: str
    http_method: str
    template: str
    pattern: re.Pattern[str]
    params: tuple[str, ...]
    # "upload" for media-upload paths, "resumable" for upload sessions; None for plain JSON methods.
    media: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def match(self, http_method: str, path: str) -> dict[str, str] | None:
        if http_method != self.http_method:
            return None
        found = self.pattern.match(path)
        return dict(zip(self.params, found.groups(), strict=True)) if found else None


def compile_template(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """`/v1/{+name}:cancel` -> regex; `{x}` is one segment, `{+x}` may span segments (RFC 6570)."""
    names: list[str] = []
    out = ["^"]
    pos = 0
    for var in re.finditer(r"\{(\+?)([^}]+)\}", template):
        out.append(re.escape(template[pos : var.start()]))
        names.append(var.group(2))
        out.append("(.+?)" if var.group(1) else "([^/:]+)")
        pos = var.end()
    out.append(re.escape(template[pos:]) + "$")
    return re.compile("".join(out)), tuple(names)


class Contract(Protocol):
    """What the server core needs from a contract; implement it to plug in another validator."""

    api: str

    def routes(self) -> Sequence[Route]: ...

    def check_request(
        self, route: Route, path_params: Mapping[str, str], query: Mapping[str, list[str]], body: Any
    ) -> list[Violation]: ...

    def check_response(self, route: Route, body: Any) -> list[Violation]: ...

    # Optional: `canonical_request(route, body) -> body` (see DiscoveryContract) makes handlers see
    # bodies as Google stores them, so echoed fields come back in Google's output form.

    def method_ids(self) -> frozenset[str]: ...


@functools.cache
def load_discovery(name: str, version: str) -> dict[str, Any]:
    """The discovery document google-api-python-client ships (no network)."""
    docs = resources.files("googleapiclient") / "discovery_cache" / "documents"
    document: dict[str, Any] = json.loads((docs / f"{name}.{version}.json").read_text(encoding="utf-8"))
    return document


def _methods(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = list(resource.get("methods", {}).values())
    for child in resource.get("resources", {}).values():
        found.extend(_methods(child))
    return found


class DiscoveryContract:
    """Routes and schemas of one API, from its bundled discovery document."""

    def __init__(self, name: str, version: str) -> None:
        self.api = f"{name}.{version}"
        self.doc = load_discovery(name, version)
        self.schemas: dict[str, Any] = self.doc["schemas"]
        self.methods: dict[str, dict[str, Any]] = {m["id"]: m for m in _methods(self.doc)}
        self._routes = self._build_routes()

    def method_ids(self) -> frozenset[str]:
        return frozenset(self.methods)

    def routes(self) -> Sequence[Route]:
        return self._routes

    def _build_routes(self) -> list[Route]:
        base = "/" + self.doc.get("servicePath", "")
        routes: list[Route] = []
        for method in self.methods.values():
            template = base + method.get("flatPath", method["path"])
            routes.append(self._route(method, template))
            for protocol in method.get("mediaUpload", {}).get("protocols", {}).values():
                routes.append(self._route(method, protocol["path"], media="upload"))
            if method.get("useMediaDownloadService"):
                download = "/download" + base + method["path"]
                routes.append(self._route(method, download, media="download"))
        # Literal paths first, so `.../tuningJobs:rebaseTunedModel` never matches as a job id.
        routes.sort(key=lambda r: r.template.count("{"))
        return routes

    @staticmethod
    def _route(method: Mapping[str, Any], template: str, media: str | None = None) -> Route:
        pattern, names = compile_template(template)
        return Route(method["id"], method["httpMethod"], template, pattern, names, media)

    # -- requests -------------------------------------------------------------------------------

    def check_request(
        self, route: Route, path_params: Mapping[str, str], query: Mapping[str, list[str]], body: Any
    ) -> list[Violation]:
        method = self.methods[route.method_id]
        problems: list[tuple[str, str]] = []
        params: dict[str, Any] = method.get("parameters", {})
        global_params: dict[str, Any] = self.doc.get("parameters", {})
        full_path = self._full_path_params(method, route, path_params)
        for name, spec in params.items():
            if spec.get("location") != "path":
                continue
            value = full_path.get(name)
            if value is not None and spec.get("pattern") and not re.match(spec["pattern"], value):
                problems.append((f"path.{name}", f"{value!r} does not match pattern {spec['pattern']}"))
        for name, values in query.items():
            spec = params.get(name) or global_params.get(name)
            if spec is None and name not in SYSTEM_QUERY_PARAMETERS:
                known = sorted(n for n, s in params.items() if s.get("location") == "query")
                problems.append((f"query.{name}", f"unknown query parameter (known: {', '.join(known)})"))
                continue
            if spec is None:
                continue
            if len(values) > 1 and not spec.get("repeated"):
                problems.append((f"query.{name}", "given more than once but not repeated"))
            for value in values:
                rule = _query_value_problem(spec, value)
                if rule:
                    problems.append((f"query.{name}", rule))
        for name, spec in params.items():
            if spec.get("location") == "query" and spec.get("required") and name not in query:
                problems.append((f"query.{name}", "required query parameter missing"))
        request_ref = method.get("request", {}).get("$ref")
        if route.media is None or body is not None:
            if request_ref is None:
                if body not in (None, {}):
                    problems.append(("body", "this method takes no request body"))
            else:
                # An empty body is the empty message (genai sends none on `:cancel`).
                body = {} if body is None else body
                enforce_required = method["httpMethod"] in {"POST", "PUT"}
                walker = _SchemaWalker(
                    self.schemas, route.method_id, response=False, required=enforce_required
                )
                walker.check({"$ref": request_ref}, body, "body")
                problems.extend(walker.problems)
        return [Violation(self.api, route.method_id, where, rule) for where, rule in problems]

    def _full_path_params(
        self, method: Mapping[str, Any], route: Route, params: Mapping[str, str]
    ) -> dict[str, str]:
        """Values of `{+name}` parameters, re-read through the non-flat path template."""
        if route.media or "flatPath" not in method:
            return dict(params)
        pattern, names = compile_template("/" + self.doc.get("servicePath", "") + method["path"])
        path = route.template
        for name, value in params.items():
            path = path.replace("{" + name + "}", value, 1)
        found = pattern.match(path)
        return dict(zip(names, found.groups(), strict=True)) if found else dict(params)

    def canonical_request(self, route: Route, body: Any) -> Any:
        """The body as the API stores it (int64 as strings, enum names, no nulls): what echoes back."""
        request_ref = self.methods[route.method_id].get("request", {}).get("$ref")
        if request_ref is None or body is None:
            return body
        return _canonical(self.schemas, {"$ref": request_ref}, body)

    # -- responses ------------------------------------------------------------------------------

    def check_response(self, route: Route, body: Any) -> list[Violation]:
        response_ref = self.methods[route.method_id].get("response", {}).get("$ref")
        if response_ref is None:
            problems = [] if body in (None, {}) else [("response", "this method returns an empty body")]
        else:
            walker = _SchemaWalker(self.schemas, route.method_id, response=True, required=True)
            walker.check({"$ref": response_ref}, body, "response")
            problems = walker.problems
        return [Violation(self.api, route.method_id, where, rule) for where, rule in problems]


def _canonical(schemas: Mapping[str, Any], schema: Mapping[str, Any], value: Any) -> Any:
    """Google's proto round trip of a valid request value; call only after `check_request` passed."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "object" and isinstance(value, dict):
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties")
        names = _property_names(value, properties)  # stored under the lowerCamel name
        return {
            names[key]: _canonical(schemas, properties.get(names[key]) or extra or {"type": "any"}, item)
            for key, item in value.items()
            if item is not None
        }
    if kind == "array" and isinstance(value, list):
        return [_canonical(schemas, schema.get("items", {"type": "any"}), item) for item in value]
    if "enum" in schema and isinstance(value, int):
        return schema["enum"][value]
    if fmt in {"int64", "uint64"}:
        return str(int(value))
    if kind == "integer":
        return int(value)
    if kind == "number" and isinstance(value, str) and value not in {"NaN", "Infinity", "-Infinity"}:
        return float(value)
    return value


@functools.cache
def discovery_contract(name: str, version: str) -> DiscoveryContract:
    return DiscoveryContract(name, version)


def check_body(name: str, version: str, method_id: str, body: Any) -> list[Violation]:
    """Check a request body built outside a client library (e.g. a Cloud Scheduler job's HTTP body
    that POSTs a TuningJob) against the method's discovery schema, e.g.
    `check_body("aiplatform", "v1", "aiplatform.projects.locations.tuningJobs.create", job)`."""
    contract = discovery_contract(name, version)
    method = contract.methods[method_id]
    template = "/" + contract.doc.get("servicePath", "") + method.get("flatPath", method["path"])
    route = DiscoveryContract._route(method, template)
    return [v for v in contract.check_request(route, {}, {}, body) if v.where.startswith("body")]


def _query_value_problem(spec: Mapping[str, Any], value: str) -> str | None:
    kind = spec.get("type")
    if "enum" in spec and value not in spec["enum"]:
        return f"{value!r} is not one of {spec['enum']}"
    if kind == "integer" or spec.get("format") in {"int64", "uint64", "int32", "uint32"}:
        return None if _INTEGER.match(value) else f"{value!r} is not an integer"
    if kind == "boolean" and value not in {"true", "false", "True", "False", "1", "0"}:
        return f"{value!r} is not a boolean"
    if spec.get("format") in {"google-datetime", "date-time"} and not _RFC3339.match(value):
        return f"{value!r} is not an RFC 3339 timestamp"
    return None


def _is_required(spec: Mapping[str, Any], method_id: str) -> bool:
    # Discovery documents mark required body fields in prose ("Required. ..."); Storage's mark them
    # per method in `annotations.required`.
    if method_id in spec.get("annotations", {}).get("required", ()):
        return True
    return str(spec.get("description", "")).startswith("Required.")


class _SchemaWalker:
    def __init__(self, schemas: Mapping[str, Any], method_id: str, *, response: bool, required: bool) -> None:
        self.schemas = schemas
        self.method_id = method_id
        self.response = response
        self.required = required
        self.problems: list[tuple[str, str]] = []

    def fail(self, where: str, rule: str) -> None:
        self.problems.append((where, rule))

    def check(self, schema: Mapping[str, Any], value: Any, where: str) -> None:
        if "$ref" in schema:
            schema = self.schemas[schema["$ref"]]
        if value is None:
            # Exception: `any`-typed values, e.g. BigQuery's TableCell.v, which is `{"v": null}` for SQL NULL.
            if self.response and schema.get("type") != "any":
                self.fail(where, "null is never sent by Google APIs (omit the field)")
            return
        kind = schema.get("type")
        if kind == "any":
            return
        if kind == "object":
            self._object(schema, value, where)
        elif kind == "array":
            if not isinstance(value, list):
                self.fail(where, f"expected an array, got {_kind(value)}")
                return
            for i, item in enumerate(value):
                self.check(schema.get("items", {"type": "any"}), item, f"{where}[{i}]")
        elif kind == "string":
            self._string(schema, value, where)
        elif kind == "integer":
            if isinstance(value, bool) or not (
                isinstance(value, int)
                or (not self.response and isinstance(value, str) and _INTEGER.match(value))
            ):
                self.fail(where, f"expected an integer ({schema.get('format')}), got {_kind(value)}")
        elif kind == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok and not self.response and isinstance(value, str):
                ok = value in {"NaN", "Infinity", "-Infinity"} or _is_float(value)
            if not ok:
                self.fail(where, f"expected a number, got {_kind(value)}")
        elif kind == "boolean" and not isinstance(value, bool):
            self.fail(where, f"expected a boolean, got {_kind(value)}")

    def _object(self, schema: Mapping[str, Any], value: Any, where: str) -> None:
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {_kind(value)}")
            return
        properties: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        # Requests may name a field in snake_case (responses never do); giving both names of one
        # field is an error ("duplicate field").
        names = {key: key for key in value} if self.response else _property_names(value, properties)
        given: dict[str, str] = {}
        for key, item in value.items():
            name = names[key]
            if name in properties:
                if name in given:
                    self.fail(f"{where}.{key}", f"duplicate field: {given[name]!r} sets it already")
                given[name] = key
                self.check(properties[name], item, f"{where}.{key}")
            elif extra is not None:
                self.check(extra, item, f"{where}[{key!r}]")
            else:
                name = schema.get("id", "object")
                self.fail(f"{where}.{key}", f"unknown field (not in {name}: {', '.join(sorted(properties))})")
        if self.required:
            for key, spec in properties.items():
                if key not in given and _is_required(spec, self.method_id) and not spec.get("readOnly"):
                    self.fail(f"{where}.{key}", "required field missing")

    def _string(self, schema: Mapping[str, Any], value: Any, where: str) -> None:
        fmt = schema.get("format")
        if "enum" in schema:
            enum = schema["enum"]
            if isinstance(value, int) and not isinstance(value, bool) and not self.response:
                if not 0 <= value < len(enum):
                    self.fail(where, f"enum number {value} out of range for {enum}")
            elif value not in enum:
                self.fail(where, f"{value!r} is not one of {enum}")
            return
        if fmt in {"int64", "uint64"}:
            if isinstance(value, str) and _INTEGER.match(value):
                return
            if not self.response and isinstance(value, int) and not isinstance(value, bool):
                return
            self.fail(where, f"expected a {fmt} as a decimal string, got {_kind(value)}")
            return
        if not isinstance(value, str):
            self.fail(where, f"expected a string ({fmt or 'text'}), got {_kind(value)}")
            return
        if fmt in {"google-datetime", "date-time"} and not _RFC3339.match(value):
            self.fail(where, f"{value!r} is not an RFC 3339 timestamp")
        elif fmt == "google-duration" and not _DURATION.match(value):
            self.fail(where, f"{value!r} is not a duration like '3.5s'")
        elif fmt == "date" and not _DATE.match(value):
            self.fail(where, f"{value!r} is not a date YYYY-MM-DD")
        elif fmt == "byte" and not _is_base64(value):
            self.fail(where, "not base64")


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_base64(text: str) -> bool:
    padded = text + "=" * (-len(text) % 4)
    try:
        base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), f"{type(value).__name__} {value!r}"
    )
