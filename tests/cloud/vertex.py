"""Vertex AI v1 (`{region}-aiplatform.googleapis.com`): tuning jobs, pipeline jobs, models, endpoints,
generateContent on a tuned model's endpoint and countTokens; and v1beta1 tuning jobs (create, get,
list, cancel), where reinforcement tuning (`reinforcementTuningSpec`) lives.

Both versions share one job table, as on Google's side: a job created on v1beta1 is read on v1 without
the fields v1 does not have (its `reinforcementTuningSpec`), and the other way round.

Jobs move one state per clock tick: QUEUED -> RUNNING -> (after `running_ticks`) SUCCEEDED or the
outcome the test chose with `set_outcome`; cancel -> CANCELLING -> CANCELLED on the next tick.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from tests.cloud.contract import DiscoveryContract
from tests.cloud.listing import label_filter, paginate
from tests.cloud.pipeline_contract import check_pipeline_job
from tests.cloud.reward import RewardValidation
from tests.cloud.server import ApiError, ApiServer, Call, handles
from tests.cloud.versions import VersionedContract, beta

PIPELINE_BILLING_LABEL = "vertex-ai-pipelines-run-billing-id"
_V1 = "aiplatform.projects.locations"
# The method fields of a TuningJob (one per tuning method) by API version.
_SPECS = {
    "v1": ("supervisedTuningSpec", "preferenceOptimizationSpec"),
    "v1beta1": ("supervisedTuningSpec", "preferenceOptimizationSpec", "reinforcementTuningSpec"),
}
_TUNING_JOB_SCHEMA = {
    "v1": "GoogleCloudAiplatformV1TuningJob",
    "v1beta1": "GoogleCloudAiplatformV1beta1TuningJob",
}
_TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
_PIPELINE_JOB_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
# google.rpc.Code values Vertex puts in `error.code`.
_RPC_CANCELLED, _RPC_INVALID_ARGUMENT, _RPC_INTERNAL = 1, 3, 13


# countTokens on fileData parts, at Google's documented rates (https://ai.google.dev/gemini-api/docs/tokens
# and https://ai.google.dev/gemini-api/docs/document-processing, read 2026-12-02): 258 tokens per
# image (one tile), 258 per PDF page, 32 per second of audio, 263 per second of video. The server
# reads what the model would read from the object: PDF pages are its `/Type /Page` objects, a text
# file its characters; audio and video lengths come from the object's custom metadata `seconds`
# (the server cannot decode media), cut to the part's videoMetadata clip. fps and mediaResolution
# are not modelled.
MEDIA_TOKENS = {"image": 258, "pdf_page": 258, "audio_second": 32, "video_second": 263}
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def _clip_seconds(length: float, video: dict[str, Any]) -> float:
    """The seconds of a media object a part covers: its videoMetadata offsets, within the object."""

    def offset(name: str, default: float) -> float:
        value = video.get(name)
        return float(value[:-1]) if isinstance(value, str) else default

    start, end = offset("startOffset", 0.0), min(offset("endOffset", length), length)
    if end <= start:
        raise ApiError(
            400, f"videoMetadata: the clip {start:g}s-{end:g}s is empty or after the end ({length:g}s)"
        )
    return end - start


def estimate_tokens(text: str) -> int:
    """The server's token count: one token per 4 characters, rounded up (Google's rule of thumb)."""
    return math.ceil(len(text) / 4)


def _texts(value: Any) -> list[str]:
    """Every `text` string inside a Content / request / JSONL example."""
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        for key, item in value.items():
            if key != "text":
                found.extend(_texts(item))
        return found
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


class VertexServer(RewardValidation, ApiServer):
    settings_field = "vertex_endpoint"
    default_port = 8791

    def make_contract(self) -> VersionedContract:
        return VersionedContract("aiplatform", "v1", ["v1beta1"])

    def reset(self) -> None:
        self.tuning_jobs: dict[str, dict[str, Any]] = {}
        self.pipeline_jobs: dict[str, dict[str, Any]] = {}
        self.models: dict[str, dict[str, Any]] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}
        self._ticks_running: dict[str, int] = {}
        self._outcomes: dict[str | None, tuple[str, str | None]] = {}
        self._next_id = 1
        self.running_ticks = 1
        # Reply text per endpoint name; the default echoes the last user turn, so tests can assert on it.
        self.replies: dict[str, str] = {}
        # Template Registry package -> compiled PipelineSpec, for PipelineJobs created by templateUri.
        self.templates: dict[str, dict[str, Any]] = {}
        self.reset_rewards()  # validateReinforcementTuningReward (tests/cloud/reward.py)

    # -- test controls --------------------------------------------------------------------------

    def set_outcome(self, state: str, message: str | None = None, *, name: str | None = None) -> None:
        """How running jobs end: "SUCCEEDED" or "FAILED" (with `message`); `name` limits it to one job."""
        if state not in {"SUCCEEDED", "FAILED"}:
            raise ValueError("a job ends SUCCEEDED or FAILED; cancel it through the API to test CANCELLED")
        self._outcomes[name] = (state, message)

    def _new_id(self) -> str:
        # Vertex resource ids are 19-digit numbers.
        self._next_id += 1
        return str(4_000_000_000_000_000_000 + self._next_id)

    # -- tuning jobs ----------------------------------------------------------------------------

    @handles(f"{_V1}.tuningJobs.create")
    def create_tuning_job(self, call: Call) -> dict[str, Any]:
        body = call.body
        version = self._version(call)
        if not body.get("baseModel"):
            raise ApiError(400, "TuningJob.base_model is required")
        specs = [k for k in _SPECS[version] if k in body]
        if len(specs) != 1:
            raise ApiError(400, f"exactly one of {', '.join(_SPECS[version])} is required")
        if specs[0] == "reinforcementTuningSpec":
            _check_reinforcement(body["reinforcementTuningSpec"])
        parent = _parent(call)
        name = f"{parent}/tuningJobs/{self._new_id()}"
        now = self.cloud.clock.timestamp()
        job = {**body, "name": name, "state": "JOB_STATE_QUEUED", "createTime": now, "updateTime": now}
        job.setdefault(
            "experiment", f"{parent}/metadataStores/default/contexts/tuning-experiment-{name[-6:]}"
        )
        self.tuning_jobs[name] = job
        return self._as_version(job, version)

    @handles(f"{_V1}.tuningJobs.get")
    def get_tuning_job(self, call: Call) -> dict[str, Any]:
        job = self._find(self.tuning_jobs, _name(call), "TuningJob")
        return self._as_version(job, self._version(call))

    @handles(f"{_V1}.tuningJobs.list")
    def list_tuning_jobs(self, call: Call) -> dict[str, Any]:
        reply = self._list(call, self.tuning_jobs, "tuningJobs")
        version = self._version(call)
        reply["tuningJobs"] = [self._as_version(job, version) for job in reply["tuningJobs"]]
        return reply

    @handles(f"{_V1}.tuningJobs.cancel")
    def cancel_tuning_job(self, call: Call) -> dict[str, Any]:
        self._cancel(self._find(self.tuning_jobs, _name(call), "TuningJob"), "JOB_STATE")
        return {}

    # The v1beta1 routes share the handlers: each answers in its caller's version.
    create_tuning_job_beta = handles(beta(f"{_V1}.tuningJobs.create"))(
        lambda self, c: self.create_tuning_job(c)
    )
    get_tuning_job_beta = handles(beta(f"{_V1}.tuningJobs.get"))(lambda self, c: self.get_tuning_job(c))
    list_tuning_jobs_beta = handles(beta(f"{_V1}.tuningJobs.list"))(lambda self, c: self.list_tuning_jobs(c))
    cancel_tuning_job_beta = handles(beta(f"{_V1}.tuningJobs.cancel"))(
        lambda self, c: self.cancel_tuning_job(c)
    )

    def _version(self, call: Call) -> str:
        contract = self.contract
        assert isinstance(contract, VersionedContract)
        return contract.version_of(call.route)

    def _as_version(self, job: dict[str, Any], version: str) -> dict[str, Any]:
        """The job as `version` shows it: the fields its TuningJob schema does not have are left out."""
        contract = self.contract
        assert isinstance(contract, VersionedContract)
        source = contract.primary if version == "v1" else contract.others[version]
        known = source.schemas[_TUNING_JOB_SCHEMA[version]]["properties"]
        return {key: value for key, value in job.items() if key in known}

    # -- pipeline jobs --------------------------------------------------------------------------

    @handles(f"{_V1}.pipelineJobs.create")
    def create_pipeline_job(self, call: Call) -> dict[str, Any]:
        body = call.body
        check_pipeline_job(body, self.templates)  # template source, parameter names, types, required
        job_id = call.query.get("pipelineJobId") or self._new_id()
        if not _PIPELINE_JOB_ID.match(job_id):
            raise ApiError(400, f"pipeline_job_id {job_id!r} must match [a-z0-9][a-z0-9-]{{0,127}}")
        name = f"{_parent(call)}/pipelineJobs/{job_id}"
        if name in self.pipeline_jobs:
            raise ApiError(409, f"PipelineJob {name} already exists")
        now = self.cloud.clock.timestamp()
        labels = {**body.get("labels", {}), PIPELINE_BILLING_LABEL: str(7_000_000_000_000 + self._next_id)}
        job = {
            **body,
            "name": name,
            "labels": labels,
            "state": "PIPELINE_STATE_QUEUED",
            "createTime": now,
            "updateTime": now,
        }
        self.pipeline_jobs[name] = job
        return job

    @handles(f"{_V1}.pipelineJobs.get")
    def get_pipeline_job(self, call: Call) -> dict[str, Any]:
        return self._find(self.pipeline_jobs, _name(call), "PipelineJob")

    @handles(f"{_V1}.pipelineJobs.list")
    def list_pipeline_jobs(self, call: Call) -> dict[str, Any]:
        return self._list(call, self.pipeline_jobs, "pipelineJobs")

    @handles(f"{_V1}.pipelineJobs.cancel")
    def cancel_pipeline_job(self, call: Call) -> dict[str, Any]:
        self._cancel(self._find(self.pipeline_jobs, _name(call), "PipelineJob"), "PIPELINE_STATE")
        return {}

    # -- models, endpoints, inference -----------------------------------------------------------

    @handles(f"{_V1}.models.get")
    def get_model(self, call: Call) -> dict[str, Any]:
        return self._find(self.models, _name(call).split("@")[0], "Model")

    @handles(f"{_V1}.endpoints.get")
    def get_endpoint(self, call: Call) -> dict[str, Any]:
        return self._find(self.endpoints, _name(call), "Endpoint")

    @handles(f"{_V1}.endpoints.generateContent")
    def generate_content(self, call: Call) -> dict[str, Any]:
        endpoint = self._find(self.endpoints, _name(call), "Endpoint")
        return self._generate(call, endpoint["name"], endpoint["deployedModels"][0]["model"], "tuned")

    @handles(f"{_V1}.publishers.models.generateContent")
    def generate_content_publisher_model(self, call: Call) -> dict[str, Any]:
        """A base model (`--against-base`); replies `base answer: ...` unless `replies[model id]`."""
        model = call.path_params.get("modelsId", "")
        if not model.startswith("gemini-"):
            raise ApiError(
                404, f"Publisher Model `{_name(call)}` was not found or your project does not have access"
            )
        return self._generate(call, model, model, "base")

    def _generate(self, call: Call, key: str, model_version: str, kind: str) -> dict[str, Any]:
        contents = call.body.get("contents", [])
        user_turns = [c for c in contents if c.get("role", "user") == "user"]
        prompt = " ".join(_texts(user_turns[-1:]))
        reply = self.replies.get(key, f"{kind} answer: {prompt}")
        prompt_tokens = sum(estimate_tokens(t) for t in _texts(call.body))
        reply_tokens = estimate_tokens(reply)
        return {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": reply}]}, "finishReason": "STOP"}
            ],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": reply_tokens,
                "totalTokenCount": prompt_tokens + reply_tokens,
            },
            "modelVersion": model_version,
            "createTime": self.cloud.clock.timestamp(),
            "responseId": f"response-{self._new_id()}",
        }

    @handles(f"{_V1}.publishers.models.countTokens")
    def count_tokens_publisher_model(self, call: Call) -> dict[str, Any]:
        model = call.path_params.get("modelsId", "")
        if not model.startswith("gemini-"):
            raise ApiError(
                404, f"Publisher Model `{_name(call)}` was not found or your project does not have access"
            )
        return self._count(call)

    @handles(f"{_V1}.endpoints.countTokens")
    def count_tokens_endpoint(self, call: Call) -> dict[str, Any]:
        self._find(self.endpoints, _name(call), "Endpoint")
        return self._count(call)

    def _count(self, call: Call) -> dict[str, Any]:
        texts = _texts({k: v for k, v in call.body.items() if k in {"contents", "systemInstruction"}})
        media = sum(
            self._media_tokens(part, f"contents[{i}].parts[{j}]")
            for i, content in enumerate(call.body.get("contents") or [])
            for j, part in enumerate(content.get("parts") or [])
            if "fileData" in part
        )
        return {
            "totalTokens": sum(estimate_tokens(t) for t in texts) + media,
            "totalBillableCharacters": sum(len(t.replace(" ", "")) for t in texts),
        }

    def _media_tokens(self, part: dict[str, Any], where: str) -> int:
        """A fileData part's tokens, read from the object on the storage server (our GCS) as the
        model would read the file: see MEDIA_TOKENS for the rates and the object metadata used."""
        data = part["fileData"]
        uri, mime = data["fileUri"], data["mimeType"]  # both "Required." (the contract checked them)
        if not uri.startswith("gs://"):
            raise ApiError(400, f"{where}.fileData.fileUri {uri!r}: this server serves gs:// objects only")
        found = self._gcs_object(uri)
        if found is None:
            raise ApiError(400, f"{where}.fileData.fileUri {uri!r}: no such object, or it cannot be read")
        resource, body = found
        modality = mime.split("/")[0]
        if modality == "image":
            return MEDIA_TOKENS["image"]
        if mime == "application/pdf":
            return MEDIA_TOKENS["pdf_page"] * max(1, len(_PDF_PAGE.findall(body)))
        if mime == "text/plain":
            return estimate_tokens(body.decode("utf-8", "replace"))
        if modality not in ("audio", "video"):
            raise ApiError(400, f"{where}.fileData.mimeType {mime!r} is not supported")
        length = (resource.get("metadata") or {}).get("seconds")
        if length is None:
            raise ApiError(
                400,
                f"{where}: tests/cloud cannot decode {uri}; seed it with "
                "put_object(..., metadata={'seconds': '<length>'})",
            )
        seconds = _clip_seconds(float(length), part.get("videoMetadata") or {})
        return math.ceil(seconds * MEDIA_TOKENS[f"{modality}_second"])

    def _gcs_object(self, uri: str) -> tuple[dict[str, Any], bytes] | None:
        from tests.cloud.storage import StorageServer

        storage = self.cloud.servers.get(StorageServer.settings_field)
        if not isinstance(storage, StorageServer) or "/" not in uri[5:]:
            return None
        bucket, name = uri[5:].split("/", 1)
        return storage.objects.get((bucket, name))

    # -- lifecycle ------------------------------------------------------------------------------

    def on_tick(self) -> None:
        for job in self.tuning_jobs.values():
            self._advance(job, "JOB_STATE", self._finish_tuning_job)
        for job in self.pipeline_jobs.values():
            self._advance(job, "PIPELINE_STATE", lambda _job: None)

    def _advance(self, job: dict[str, Any], prefix: str, on_success: Any) -> None:
        state = job["state"].removeprefix(prefix + "_")
        now = self.cloud.clock.timestamp()
        if state in _TERMINAL:
            return
        if state == "CANCELLING":
            job.update(state=f"{prefix}_CANCELLED", endTime=now, updateTime=now)
            job["error"] = {"code": _RPC_CANCELLED, "message": "CANCELED"}
        elif state in {"QUEUED", "PENDING"}:
            failure = self._dataset_problem(job)
            if failure:
                job.update(state=f"{prefix}_FAILED", endTime=now, updateTime=now)
                job["error"] = {"code": _RPC_INVALID_ARGUMENT, "message": failure}
            else:
                job.update(state=f"{prefix}_RUNNING", startTime=now, updateTime=now)
                self._ticks_running[job["name"]] = 0
        elif state == "RUNNING":
            self._ticks_running[job["name"]] += 1
            if self._ticks_running[job["name"]] < self.running_ticks:
                return
            outcome, message = (
                self._outcomes.get(job["name"]) or self._outcomes.get(None) or ("SUCCEEDED", None)
            )
            job.update(state=f"{prefix}_{outcome}", endTime=now, updateTime=now)
            if outcome == "FAILED":
                job["error"] = {"code": _RPC_INTERNAL, "message": message or "the job failed (test outcome)"}
            else:
                on_success(job)

    def _dataset_problem(self, job: dict[str, Any]) -> str | None:
        """Vertex fails a tuning job whose dataset it cannot read; the storage server is our GCS."""
        spec = (
            job.get("supervisedTuningSpec")
            or job.get("preferenceOptimizationSpec")
            or job.get("reinforcementTuningSpec")
        )
        if spec is None:
            return None
        for key in ("trainingDatasetUri", "validationDatasetUri"):
            uri = spec.get(key)
            if uri and self._read_gcs(uri) is None:
                return f"Failed to read the {key.removesuffix('Uri')} {uri}: the object does not exist"
        return None

    def _read_gcs(self, uri: str) -> bytes | None:
        from tests.cloud.storage import StorageServer

        storage = self.cloud.servers.get(StorageServer.settings_field)
        return storage.read_uri(uri) if isinstance(storage, StorageServer) else None

    def _finish_tuning_job(self, job: dict[str, Any]) -> None:
        location = job["name"].split("/tuningJobs/")[0]
        now = self.cloud.clock.timestamp()
        model_id, endpoint_id = self._new_id(), self._new_id()
        model_name, endpoint_name = f"{location}/models/{model_id}", f"{location}/endpoints/{endpoint_id}"
        display = job.get("tunedModelDisplayName") or f"tuned-{job['baseModel']}"
        self.models[model_name] = {
            "name": model_name,
            "displayName": display,
            "versionId": "1",
            "createTime": now,
            "updateTime": now,
            "labels": job.get("labels", {}),
            "baseModelSource": {"genieSource": {"baseModelUri": job["baseModel"]}},
            "deployedModels": [{"endpoint": endpoint_name, "deployedModelId": model_id}],
        }
        self.endpoints[endpoint_name] = {
            "name": endpoint_name,
            "displayName": display,
            "createTime": now,
            "updateTime": now,
            "deployedModels": [
                {"id": model_id, "model": model_name, "displayName": display, "createTime": now}
            ],
        }
        job["tunedModel"] = {"model": f"{model_name}@1", "endpoint": endpoint_name}
        spec = job.get("supervisedTuningSpec")
        data = self._read_gcs(spec["trainingDatasetUri"]) if spec else None
        if spec is not None and data is not None:
            examples = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
            characters = sum(len(t) for e in examples for t in _texts(e))
            tokens = sum(estimate_tokens(t) for e in examples for t in _texts(e))
            epochs = int(spec.get("hyperParameters", {}).get("epochCount", 1))
            # One checkpoint per epoch, as Vertex AI keeps them (the last one is the default).
            per_epoch = max(1, len(examples))
            job["tunedModel"]["checkpoints"] = [
                {
                    "checkpointId": str(n),
                    "epoch": str(n),
                    "step": str(per_epoch * n),
                    "endpoint": endpoint_name,
                }
                for n in range(1, epochs + 1)
            ]
            job["tuningDataStats"] = {
                "supervisedTuningDataStats": {
                    "tuningDatasetExampleCount": str(len(examples)),
                    "totalTuningCharacterCount": str(characters),
                    # "Number of billable tokens in the tuning dataset": one pass; billing multiplies
                    # by epochs.
                    "totalBillableTokenCount": str(tokens),
                    "tuningStepCount": str(max(1, len(examples) * epochs)),
                }
            }

    def _cancel(self, job: dict[str, Any], prefix: str) -> None:
        state = job["state"].removeprefix(prefix + "_")
        if state in _TERMINAL or state == "CANCELLING":
            raise ApiError(
                400,
                f"Cannot cancel {job['name']}: it is in state {job['state']}",
                grpc="FAILED_PRECONDITION",
            )
        job.update(state=f"{prefix}_CANCELLING", updateTime=self.cloud.clock.timestamp())

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _find(table: dict[str, dict[str, Any]], name: str, kind: str) -> dict[str, Any]:
        if name not in table:
            raise ApiError(404, f"{kind} {name} not found")
        return table[name]

    def _list(self, call: Call, table: dict[str, dict[str, Any]], key: str) -> dict[str, Any]:
        parent = _parent(call)
        keep = label_filter(call.query.get("filter"), {"display_name": "displayName", "state": "state"})
        # Newest first, as Vertex lists jobs.
        matching = [
            job for name, job in reversed(table.items()) if name.startswith(parent + "/") and keep(job)
        ]
        page, token = paginate(matching, call.query.get("pageSize"), call.query.get("pageToken"), default=100)
        reply: dict[str, Any] = {key: page}
        if token:
            reply["nextPageToken"] = token
        return reply


def _parent(call: Call) -> str:
    p = call.path_params
    return f"projects/{p['projectsId']}/locations/{p['locationsId']}"


def _name(call: Call) -> str:
    """The resource name from the request path, without `/v1/` (or `/v1beta1/`) and the `:verb`."""
    return re.split(r"/v1(?:beta1)?/", call.path, maxsplit=1)[1].split(":", 1)[0].replace("%40", "@")


def _check_reinforcement(spec: dict[str, Any]) -> None:
    """What Vertex AI refuses beyond the schema: one reward (single or composite), and epochs or
    steps, not both (the v1beta1 field descriptions: "mutually exclusive")."""
    rewards = [k for k in ("singleRewardConfig", "compositeRewardConfig") if k in spec]
    if len(rewards) != 1:
        raise ApiError(400, "exactly one of single_reward_config, composite_reward_config is required")
    hyper = spec.get("hyperParameters", {})
    if "epochCount" in hyper and "stepCount" in hyper:
        raise ApiError(400, "epoch_count and step_count are mutually exclusive")
    if "thinkingLevel" in hyper and "thinkingBudget" in hyper:
        raise ApiError(400, "thinking_level and thinking_budget are mutually exclusive")


class PublisherModelsServer(ApiServer):
    """Vertex AI v1beta1 publisher models (`aiplatform.googleapis.com/v1beta1/publishers/*/models`):
    `publishers.models.get` and `.list`, checked against the `aiplatform.v1beta1` discovery document.
    Only v1beta1 has the list method. Seed models with `add_model`; unknown ones are 404."""

    settings_field = "model_garden_endpoint"
    default_port = 8799

    def make_contract(self) -> DiscoveryContract:
        return DiscoveryContract("aiplatform", "v1beta1")

    def reset(self) -> None:
        self.models: dict[str, dict[str, Any]] = {}
        self.page_size = 2

    def add_model(
        self,
        model_id: str,
        *,
        launch_stage: str = "GA",
        version_state: str = "VERSION_STATE_STABLE",
        tunable: bool = True,
        publisher: str = "google",
    ) -> dict[str, Any]:
        name = f"publishers/{publisher}/models/{model_id}"
        model: dict[str, Any] = {
            "name": name,
            "versionId": "001",
            "openSourceCategory": "PROPRIETARY",
            "launchStage": launch_stage,
            "versionState": version_state,
            "publisherModelTemplate": f"projects/{{user-project}}/locations/{{location}}/{name}",
        }
        if tunable:
            model["supportedActions"] = {
                "openFineTuningPipeline": {
                    "references": {"us-central1": {"resourceName": name}},
                    "title": "Tune",
                }
            }
        self.models[name] = model
        return model

    @handles("aiplatform.publishers.models.get")
    def get_publisher_model(self, call: Call) -> dict[str, Any]:
        name = f"publishers/{call.path_params['publishersId']}/models/{call.path_params['modelsId']}"
        if name not in self.models:
            raise ApiError(404, f"Publisher Model `{name}` is not found.")
        return self.models[name]

    @handles("aiplatform.publishers.models.list")
    def list_publisher_models(self, call: Call) -> dict[str, Any]:
        prefix = f"publishers/{call.path_params['publishersId']}/models/"
        items = [m for name, m in sorted(self.models.items()) if name.startswith(prefix)]
        page, token = paginate(items, call.query.get("pageSize"), call.query.get("pageToken"), self.page_size)
        return {"publisherModels": page, **({"nextPageToken": token} if token else {})}
