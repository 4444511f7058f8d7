"""Each Cloud Scheduler job the stack plans, fired: its decoded body POSTed to the Vertex AI test
server at its own URI, so it meets every check the server applies to a real create request (the
discovery schema, the handler's rules, and for a PipelineJob the template's source and its
parameters against the compiled RLHF pipeline the template is made from)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.cloud.harness import Cloud
from tests.cloud.vertex import VertexServer
from tests.infra_fixtures import decoded_body, example_plan, of_type, seed_rlhf_template


def _jobs() -> list[tuple[str, dict[str, Any]]]:
    return [
        (stack, job)
        for stack in ("gpu", "tpu")
        for job in of_type(example_plan(stack), "gcp:cloudscheduler/job:Job")
    ]


def _fire(vertex: VertexServer, job: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    target = job["inputs"]["httpTarget"]
    assert target["httpMethod"] == "POST"
    request = urllib.request.Request(
        vertex.url + urlsplit(target["uri"]).path,
        data=json.dumps(decoded_body(job)).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def vertex(cloud: Cloud) -> VertexServer:
    server = cloud.get(VertexServer)
    seed_rlhf_template(server)
    return server


@pytest.mark.parametrize(("stack", "job"), _jobs(), ids=lambda v: v if isinstance(v, str) else v["name"])
def test_every_scheduled_body_is_accepted_by_the_vertex_server(
    stack: str, job: dict[str, Any], vertex: VertexServer
) -> None:
    status, reply = _fire(vertex, job)
    assert status == 200, f"{job['urn']}: {reply}"


def test_a_scheduled_pipeline_body_with_a_wrong_parameter_type_is_refused(vertex: VertexServer) -> None:
    job = next(j for _, j in _jobs() if "pipelineJobs" in j["inputs"]["httpTarget"]["uri"])
    body = decoded_body(job)
    body["runtimeConfig"]["parameterValues"]["reward_model_train_steps"] = "1000"
    broken = {**job, "inputs": {**job["inputs"], "httpTarget": {**job["inputs"]["httpTarget"]}}}
    broken["inputs"]["httpTarget"]["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    status, reply = _fire(vertex, broken)
    assert status == 400 and "must be NUMBER_INTEGER" in json.dumps(reply)
