"""Cloud Quotas v1 (`cloudquotas.googleapis.com`): quotaInfos list/get, quotaPreferences
list/get/create/patch (with `allowMissing` and `validateOnly`).

No discovery document is bundled for this API, so the contract is the `google-cloud-quotas` message
types: request bodies, query parameters and responses are parsed into them with unknown fields
rejected, and fields the API documents as required are enforced. Routes follow the HTTP rules of
`google/api/cloudquotas/v1/cloudquotas.proto` (project-scoped; folders and organizations are not
served).

Behaviour: a fresh project has the Vertex AI quotas below at their default values (restricted-image
training quotas at 0, as Google ships them). An increase request is `reconciling` with a trace id
until the test decides it (`decide`, or `decide_after` ticks of the clock); a decrease is granted at
once. Granting raises the limit in force, as Google does.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.cloud import cloudquotas_v1
from google.protobuf import json_format
from google.protobuf.message import Message

from tests.cloud.contract import SYSTEM_QUERY_PARAMETERS, Route, Violation, compile_template
from tests.cloud.listing import paginate
from tests.cloud.server import ApiError, ApiServer, Call, handles

SERVICE = "aiplatform.googleapis.com"
_P = "cloudquotas.projects.locations"
REQUEST_URI = "https://console.cloud.google.com/iam-admin/quotas"

# The restricted-image-training ids other than the A100 one are not documented by Google: the ids
# below follow the A100 id's naming pattern, but tunectl must find them by display name (its catalog
# has no id for them), which the resolution tests check.
A100_ID = "RestrictedImageTrainingA10080GBGPUsPerProjectPerRegion"
TPU_ID = "RestrictedImageTrainingTPUV3PodCoresPerProjectPerRegion"
A2_CPU_ID = "RestrictedImageTrainingA2CPUsPerProjectPerRegion"
TUNING_JOBS_ID = "ConcurrentTuningJobsPerProjectPerRegion"


def _region_quota(
    quota_id: str,
    display: str,
    metric: str,
    values: Mapping[str, int],
    default: int,
    *,
    concurrent: bool = False,
    eligible: bool = True,
) -> dict[str, Any]:
    infos: list[dict[str, Any]] = [
        {"dimensions": {"region": region}, "details": {"value": str(value)}, "applicableLocations": [region]}
        for region, value in values.items()
    ]
    infos.append(
        {
            "details": {"value": str(default)},
            "applicableLocations": ["us-central1", "europe-west4", "us-east4"],
        }
    )
    info: dict[str, Any] = {
        "quotaId": quota_id,
        "metric": f"{SERVICE}/{metric}",
        "service": SERVICE,
        "isPrecise": True,
        "containerType": "PROJECT",
        "dimensions": ["region"],
        "metricDisplayName": display.removesuffix(" per region"),
        "quotaDisplayName": display,
        "metricUnit": "1",
        "quotaIncreaseEligibility": {"isEligible": True}
        if eligible
        else {"isEligible": False, "ineligibilityReason": "NOT_SUPPORTED"},
        "dimensionsInfos": infos,
        "serviceRequestQuotaUri": REQUEST_URI,
    }
    if concurrent:
        info["isConcurrent"] = True
    return info


def default_quota_infos() -> list[dict[str, Any]]:
    """What Vertex AI lists for a new project (ids without the `name`, added per project)."""
    return [
        _region_quota(
            A100_ID,
            "Restricted image training Nvidia A100 80GB GPUs per region",
            "restricted_image_training_nvidia_a100_80gb_gpus",
            {"us-central1": 0, "us-east4": 0},
            0,
        ),
        _region_quota(
            TPU_ID,
            "Restricted image training TPU V3 pod cores per region",
            "restricted_image_training_tpu_v3_pod_cores",
            {"europe-west4": 0},
            0,
        ),
        _region_quota(
            A2_CPU_ID,
            "Restricted image training CPUs for A2 CPU types per region",
            "restricted_image_training_a2_cpus",
            {"us-central1": 0},
            0,
        ),
        _region_quota(
            TUNING_JOBS_ID,
            "Concurrent tuning jobs per region",
            "concurrent_tuning_jobs",
            {},
            1,
            concurrent=True,
        ),
        # Near-misses of the display names above: resolution must match exactly.
        _region_quota(
            "CustomModelTrainingA10080GBGPUsPerProjectPerRegion",
            "Custom model training Nvidia A100 80GB GPUs per region",
            "custom_model_training_nvidia_a100_80gb_gpus",
            {},
            0,
        ),
        _region_quota(
            "CustomModelTrainingCPUsPerProjectPerRegion",
            "Custom model training CPUs per region",
            "custom_model_training_cpus",
            {},
            24,
        ),
        {
            **_region_quota(
                "OnlinePredictionRequestsPerMinutePerProjectPerRegion",
                "Online prediction requests per minute per region",
                "online_prediction_requests",
                {},
                30000,
            ),
            "refreshInterval": "minute",
            "isPrecise": False,
        },
    ]


# -- the contract: google-cloud-quotas message types ---------------------------------------------


@dataclass(frozen=True)
class _Method:
    method_id: str
    http_method: str
    template: str
    request: type[Message]
    response: type[Message]
    body_field: str | None = None  # the request field the body holds
    required_body: tuple[str, ...] = ()


def _pb(message: Any) -> type[Message]:
    return message.pb()


# `quotaConfig.preferredValue` is required too, but proto3 JSON omits a 0, so absence means 0.
_PREFERENCE_REQUIRED = ("quotaConfig", "service", "quotaId")
_METHODS = (
    _Method(
        f"{_P}.services.quotaInfos.list",
        "GET",
        "/v1/projects/{projectsId}/locations/{locationsId}/services/{servicesId}/quotaInfos",
        _pb(cloudquotas_v1.ListQuotaInfosRequest),
        _pb(cloudquotas_v1.ListQuotaInfosResponse),
    ),
    _Method(
        f"{_P}.services.quotaInfos.get",
        "GET",
        "/v1/projects/{projectsId}/locations/{locationsId}/services/{servicesId}/quotaInfos/{quotaInfosId}",
        _pb(cloudquotas_v1.GetQuotaInfoRequest),
        _pb(cloudquotas_v1.QuotaInfo),
    ),
    _Method(
        f"{_P}.quotaPreferences.list",
        "GET",
        "/v1/projects/{projectsId}/locations/{locationsId}/quotaPreferences",
        _pb(cloudquotas_v1.ListQuotaPreferencesRequest),
        _pb(cloudquotas_v1.ListQuotaPreferencesResponse),
    ),
    _Method(
        f"{_P}.quotaPreferences.get",
        "GET",
        "/v1/projects/{projectsId}/locations/{locationsId}/quotaPreferences/{quotaPreferencesId}",
        _pb(cloudquotas_v1.GetQuotaPreferenceRequest),
        _pb(cloudquotas_v1.QuotaPreference),
    ),
    _Method(
        f"{_P}.quotaPreferences.create",
        "POST",
        "/v1/projects/{projectsId}/locations/{locationsId}/quotaPreferences",
        _pb(cloudquotas_v1.CreateQuotaPreferenceRequest),
        _pb(cloudquotas_v1.QuotaPreference),
        body_field="quota_preference",
        required_body=_PREFERENCE_REQUIRED,
    ),
    _Method(
        f"{_P}.quotaPreferences.patch",
        "PATCH",
        "/v1/projects/{projectsId}/locations/{locationsId}/quotaPreferences/{quotaPreferencesId}",
        _pb(cloudquotas_v1.UpdateQuotaPreferenceRequest),
        _pb(cloudquotas_v1.QuotaPreference),
        body_field="quota_preference",
        required_body=_PREFERENCE_REQUIRED,
    ),
)
# Request fields bound to the URL path, never to the query string.
_PATH_FIELDS = frozenset({"parent", "name"})


def _dig(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _nulls(value: Any, where: str) -> list[str]:
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{where}[{i}]")]
    return []


def _query_value(field: Any, text: str) -> Any:
    """A query-string value as the JSON value json_format expects for the field."""
    if field.type == field.TYPE_BOOL:
        if text not in {"true", "false"}:
            raise json_format.ParseError(f"{text!r} is not true or false")
        return text == "true"
    if field.type == field.TYPE_ENUM and text.lstrip("-").isdigit():
        return int(text)
    return text


class QuotasContract:
    """Checks requests and responses by parsing them into the client library's messages."""

    api = "cloudquotas.v1"

    def __init__(self) -> None:
        self._methods = {m.method_id: m for m in _METHODS}
        self._routes = []
        for method in _METHODS:
            pattern, params = compile_template(method.template)
            self._routes.append(Route(method.method_id, method.http_method, method.template, pattern, params))

    def method_ids(self) -> frozenset[str]:
        return frozenset(self._methods)

    def routes(self) -> Sequence[Route]:
        return self._routes

    def _violations(self, method_id: str, problems: list[tuple[str, str]]) -> list[Violation]:
        return [Violation(self.api, method_id, where, rule) for where, rule in problems]

    def check_request(
        self, route: Route, path_params: Mapping[str, str], query: Mapping[str, list[str]], body: Any
    ) -> list[Violation]:
        method = self._methods[route.method_id]
        descriptor = method.request.DESCRIPTOR
        by_json = {f.json_name: f for f in descriptor.fields} | {f.name: f for f in descriptor.fields}
        problems: list[tuple[str, str]] = []
        values: dict[str, Any] = {}
        for name, texts in query.items():
            if name in SYSTEM_QUERY_PARAMETERS:
                continue
            field = by_json.get(name)
            if field is None or field.name in _PATH_FIELDS or field.name == method.body_field:
                known = sorted(
                    f.json_name for f in descriptor.fields if f.name not in _PATH_FIELDS | {method.body_field}
                )
                problems.append((f"query.{name}", f"unknown query parameter (known: {', '.join(known)})"))
                continue
            if not field.is_repeated and len(texts) > 1:
                problems.append((f"query.{name}", "given more than once but not repeated"))
                continue
            try:
                converted = [_query_value(field, t) for t in texts]
            except json_format.ParseError as exc:
                problems.append((f"query.{name}", str(exc)))
                continue
            values[field.json_name] = converted if field.is_repeated else converted[0]
        try:
            json_format.ParseDict(values, method.request(), ignore_unknown_fields=False)
        except json_format.ParseError as exc:
            problems.append(("query", str(exc)))
        if method.body_field is None:
            if body not in (None, {}):
                problems.append(("body", "this method takes no request body"))
        elif not isinstance(body, dict):
            problems.append(("body", "request body required: QuotaPreference"))
        else:
            body_type = type(getattr(method.request(), method.body_field))
            try:
                json_format.ParseDict(body, body_type(), ignore_unknown_fields=False)
            except json_format.ParseError as exc:
                problems.append(("body", str(exc)))
            for required in method.required_body:
                if _dig(body, required) is None:
                    problems.append((f"body.{required}", "required field missing"))
        return self._violations(route.method_id, problems)

    def canonical_request(self, route: Route, body: Any) -> Any:
        """The body as Google's parser leaves it (int64 as strings, enum names, no unset fields)."""
        method = self._methods[route.method_id]
        if method.body_field is None or not isinstance(body, dict):
            return body
        message = type(getattr(method.request(), method.body_field))()
        json_format.ParseDict(body, message, ignore_unknown_fields=False)
        return json_format.MessageToDict(message)

    def check_response(self, route: Route, body: Any) -> list[Violation]:
        method = self._methods[route.method_id]
        problems = [
            (where, "null is never sent by Google APIs (omit the field)")
            for where in _nulls(body, "response")
        ]
        if not isinstance(body, dict):
            problems.append(("response", f"expected a {method.response.DESCRIPTOR.name} object"))
        else:
            try:
                json_format.ParseDict(body, method.response(), ignore_unknown_fields=False)
            except json_format.ParseError as exc:
                problems.append(("response", str(exc)))
        return self._violations(route.method_id, problems)


# -- the server ----------------------------------------------------------------------------------


def _etag(preference: Mapping[str, Any]) -> str:
    body = repr(sorted((k, repr(v)) for k, v in preference.items() if k != "etag"))
    return hashlib.sha256(body.encode()).hexdigest()[:16]


class QuotasServer(ApiServer):
    settings_field = "quotas_endpoint"
    default_port = 8795

    def make_contract(self) -> QuotasContract:
        return QuotasContract()

    def reset(self) -> None:
        self.infos: dict[str, dict[str, Any]] = {info["quotaId"]: info for info in default_quota_infos()}
        self.preferences: dict[str, dict[str, Any]] = {}
        self._pending_decisions: dict[str, tuple[int, int | None]] = {}
        self._trace = 0
        self.page_size = 3  # small, so listing exercises paging

    # -- test controls --------------------------------------------------------------------------

    def set_limit(self, quota_id: str, region: str, value: int) -> None:
        """Set the value in force for one region (what Google shows once quota is granted)."""
        infos = self.infos[quota_id]["dimensionsInfos"]
        for entry in infos:
            if entry.get("dimensions", {}).get("region") == region:
                entry["details"]["value"] = str(value)
                return
        infos.insert(
            0,
            {
                "dimensions": {"region": region},
                "details": {"value": str(value)},
                "applicableLocations": [region],
            },
        )

    def limit(self, quota_id: str, region: str) -> int:
        for entry in self.infos[quota_id]["dimensionsInfos"]:
            if entry.get("dimensions", {}).get("region") == region:
                return int(entry["details"]["value"])
        return int(self.infos[quota_id]["dimensionsInfos"][-1]["details"]["value"])

    def remove_quota(self, quota_id: str) -> None:
        """The project does not list this quota (e.g. a display name Google renamed)."""
        del self.infos[quota_id]

    def seed_preference(
        self,
        project: str,
        preference_id: str,
        quota_id: str,
        region: str,
        preferred: int,
        *,
        granted: int | None = None,
        reconciling: bool = False,
        annotations: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A preference that already exists (created by the stack, the console or an earlier run)."""
        name = f"projects/{project}/locations/global/quotaPreferences/{preference_id}"
        config: dict[str, Any] = {"preferredValue": str(preferred), "requestOrigin": "ORIGIN_UNSPECIFIED"}
        if granted is not None:
            config["grantedValue"] = str(granted)
        if reconciling:
            config["traceId"] = self._new_trace()
            config["stateDetail"] = "The request is being reviewed."
        if annotations:
            config["annotations"] = dict(annotations)
        now = self.cloud.clock.timestamp()
        preference = {
            "name": name,
            "dimensions": {"region": region},
            "quotaConfig": config,
            "createTime": now,
            "updateTime": now,
            "service": SERVICE,
            "quotaId": quota_id,
            "reconciling": reconciling,
            "justification": "seeded by the test",
        }
        preference["etag"] = _etag(preference)
        self.preferences[name] = preference
        if granted is not None and not reconciling:
            self.set_limit(quota_id, region, max(granted, self.limit(quota_id, region)))
        return preference

    def decide(self, name_or_id: str, granted: int | None = None) -> None:
        """Google's decision on a pending preference: `granted` None grants it in full."""
        preference = self._by_id(name_or_id)
        config = preference["quotaConfig"]
        value = int(config["preferredValue"]) if granted is None else granted
        config["grantedValue"] = str(value)
        config["stateDetail"] = (
            "The request has been approved."
            if value >= int(config["preferredValue"])
            else f"The request has been partially approved: {value} granted."
        )
        preference["reconciling"] = False
        preference["updateTime"] = self.cloud.clock.timestamp()
        preference["etag"] = _etag(preference)
        region = preference["dimensions"].get("region")
        if region and value > self.limit(preference["quotaId"], region):
            self.set_limit(preference["quotaId"], region, value)

    def decide_after(self, name_or_id: str, ticks: int, granted: int | None = None) -> None:
        self._pending_decisions[self._by_id(name_or_id)["name"]] = (ticks, granted)

    def on_tick(self) -> None:
        for name, (ticks, granted) in list(self._pending_decisions.items()):
            if ticks <= 1:
                del self._pending_decisions[name]
                if name in self.preferences and self.preferences[name]["reconciling"]:
                    self.decide(name, granted)
            else:
                self._pending_decisions[name] = (ticks - 1, granted)

    def _by_id(self, name_or_id: str) -> dict[str, Any]:
        for name, preference in self.preferences.items():
            if name == name_or_id or name.rsplit("/", 1)[-1] == name_or_id:
                return preference
        raise KeyError(name_or_id)

    def _new_trace(self) -> str:
        self._trace += 1
        return f"{self._trace:016x}a1b2c3d4"

    # -- quota infos ----------------------------------------------------------------------------

    def _info(self, project: str, info: dict[str, Any]) -> dict[str, Any]:
        name = f"projects/{project}/locations/global/services/{info['service']}/quotaInfos/{info['quotaId']}"
        return {"name": name, **copy.deepcopy(info)}

    @staticmethod
    def _require_global(call: Call) -> None:
        if call.path_params["locationsId"] != "global":
            raise ApiError(400, f"location must be 'global', not {call.path_params['locationsId']!r}")

    @handles(f"{_P}.services.quotaInfos.list")
    def list_quota_infos(self, call: Call) -> dict[str, Any]:
        self._require_global(call)
        service = call.path_params["servicesId"]
        infos = [
            self._info(call.path_params["projectsId"], i)
            for i in self.infos.values()
            if i["service"] == service
        ]
        page, token = paginate(infos, call.query.get("pageSize"), call.query.get("pageToken"), self.page_size)
        return {"quotaInfos": page, **({"nextPageToken": token} if token else {})}

    @handles(f"{_P}.services.quotaInfos.get")
    def get_quota_info(self, call: Call) -> dict[str, Any]:
        self._require_global(call)
        info = self.infos.get(call.path_params["quotaInfosId"])
        if info is None or info["service"] != call.path_params["servicesId"]:
            raise ApiError(404, f"QuotaInfo {call.path} not found")
        return self._info(call.path_params["projectsId"], info)

    # -- quota preferences ----------------------------------------------------------------------

    @handles(f"{_P}.quotaPreferences.list")
    def list_preferences(self, call: Call) -> dict[str, Any]:
        self._require_global(call)
        prefix = f"projects/{call.path_params['projectsId']}/locations/global/quotaPreferences/"
        found = [p for name, p in sorted(self.preferences.items()) if name.startswith(prefix)]
        expression = call.query.get("filter", "").strip()
        if expression:
            if expression not in {"reconciling=true", "reconciling=false"}:
                raise ApiError(
                    400, f"unsupported filter {expression!r} (the test server knows reconciling=true|false)"
                )
            wanted = expression.endswith("true")
            found = [p for p in found if p["reconciling"] is wanted]
        page, token = paginate(found, call.query.get("pageSize"), call.query.get("pageToken"), self.page_size)
        return {"quotaPreferences": page, **({"nextPageToken": token} if token else {})}

    @handles(f"{_P}.quotaPreferences.get")
    def get_preference(self, call: Call) -> dict[str, Any]:
        self._require_global(call)
        preference = self.preferences.get(call.path.removeprefix("/v1/"))
        if preference is None:
            raise ApiError(404, f"QuotaPreference {call.path.removeprefix('/v1/')} not found")
        return preference

    @handles(f"{_P}.quotaPreferences.create")
    def create_preference(self, call: Call) -> dict[str, Any]:
        self._require_global(call)
        preference_id = call.query.get("quotaPreferenceId") or f"auto-{len(self.preferences) + 1}"
        name = f"projects/{call.path_params['projectsId']}/locations/global/quotaPreferences/{preference_id}"
        if name in self.preferences:
            raise ApiError(409, f"QuotaPreference {name} already exists")
        return self._write(name, call.body, None, validate_only=False)

    @handles(f"{_P}.quotaPreferences.patch")
    def patch_preference(self, call: Call) -> dict[str, Any]:
        self._require_global(call)
        name = call.path.removeprefix("/v1/")
        body = call.body
        if body.get("name") and body["name"] != name:
            raise ApiError(400, f"quota_preference.name {body['name']!r} does not match the URL ({name})")
        existing = self.preferences.get(name)
        if existing is None and call.query.get("allowMissing") != "true":
            raise ApiError(404, f"QuotaPreference {name} not found (set allow_missing to create it)")
        if existing is not None and body.get("etag") and body["etag"] != existing["etag"]:
            raise ApiError(
                409, "the etag does not match: the preference changed since it was read", grpc="ABORTED"
            )
        mask = [p for p in call.query.get("updateMask", "").split(",") if p]
        if existing is not None and mask:
            merged = copy.deepcopy(existing)
            for path in mask:
                camel = "".join(w if i == 0 else w.title() for i, w in enumerate(path.split("_")))
                head, _, tail = camel.partition(".")
                if tail:
                    merged.setdefault(head, {})[tail] = _dig(body, f"{head}.{tail}")
                else:
                    merged[head] = body.get(head)
            body = merged
        return self._write(name, body, existing, validate_only=call.query.get("validateOnly") == "true")

    def _write(
        self, name: str, body: dict[str, Any], existing: dict[str, Any] | None, *, validate_only: bool
    ) -> dict[str, Any]:
        quota_id, service = body["quotaId"], body["service"]
        info = self.infos.get(quota_id)
        if info is None or info["service"] != service:
            raise ApiError(400, f"quota {service}/{quota_id} does not exist for this project")
        dimensions = dict(body.get("dimensions") or {})
        unknown = sorted(set(dimensions) - set(info["dimensions"]))
        if unknown:
            raise ApiError(
                400, f"dimension(s) {unknown} are not dimensions of {quota_id} ({info['dimensions']})"
            )
        if existing is not None and dimensions != existing["dimensions"]:
            raise ApiError(400, "dimensions are immutable; create another preference for other dimensions")
        for other in self.preferences.values():
            if other["name"] != name and other["quotaId"] == quota_id and other["dimensions"] == dimensions:
                raise ApiError(
                    409,
                    f"{other['name']} already holds the preference for {quota_id} {dimensions}",
                    grpc="ALREADY_EXISTS",
                )
        preferred = int(body["quotaConfig"].get("preferredValue", "0"))
        if preferred < -1:
            raise ApiError(400, "quota_config.preferred_value must be >= -1")
        region = dimensions.get("region", "")
        current = self.limit(quota_id, region)
        increase = preferred == -1 or preferred > current
        if increase and not body.get("contactEmail"):
            raise ApiError(400, "contact_email is required when requesting a quota increase")
        if increase and not info["quotaIncreaseEligibility"]["isEligible"]:
            raise ApiError(400, f"{quota_id} is not eligible for a quota increase")
        now = self.cloud.clock.timestamp()
        config: dict[str, Any] = {"preferredValue": str(preferred), "requestOrigin": "ORIGIN_UNSPECIFIED"}
        if body["quotaConfig"].get("annotations"):
            config["annotations"] = dict(body["quotaConfig"]["annotations"])
        preference: dict[str, Any] = {
            "name": name,
            "dimensions": dimensions,
            "quotaConfig": config,
            "createTime": existing["createTime"] if existing else now,
            "updateTime": now,
            "service": service,
            "quotaId": quota_id,
            "reconciling": increase,
        }
        if body.get("justification"):
            preference["justification"] = body["justification"]
        if increase:
            config["traceId"] = self._new_trace()
            config["stateDetail"] = "The request is being reviewed."
        else:
            config["grantedValue"] = str(preferred)
        preference["etag"] = _etag(preference)
        if validate_only:
            return preference
        self.preferences[name] = preference
        if not increase and region:
            self.set_limit(quota_id, region, preferred)
        return preference
