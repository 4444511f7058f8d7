"""The discovery-document contract on its own: routing and the rules each request and response obey."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cloud.contract import DiscoveryContract, Route

TUNING = "aiplatform.projects.locations.tuningJobs"


@pytest.fixture(scope="module")
def vertex() -> DiscoveryContract:
    return DiscoveryContract("aiplatform", "v1")


@pytest.fixture(scope="module")
def storage() -> DiscoveryContract:
    return DiscoveryContract("storage", "v1")


def route(contract: DiscoveryContract, http_method: str, path: str) -> tuple[Route, dict[str, str]]:
    for candidate in contract.routes():
        params = candidate.match(http_method, path)
        if params is not None:
            return candidate, params
    raise AssertionError(f"no route for {http_method} {path}")


def request_rules(
    contract: DiscoveryContract, http_method: str, path: str, body: Any, **query: str
) -> list[str]:
    found, params = route(contract, http_method, path)
    violations = contract.check_request(found, params, {k: [v] for k, v in query.items()}, body)
    return [f"{v.where}: {v.rule}" for v in violations]


JOBS = "/v1/projects/p/locations/us-central1/tuningJobs"
GOOD_JOB = {
    "baseModel": "gemini-2.5-flash",
    "supervisedTuningSpec": {
        "trainingDatasetUri": "gs://b/train.jsonl",
        "hyperParameters": {"epochCount": 3},
    },
    "labels": {"tunectl-run": "r1"},
}


def test_custom_verbs_route_to_their_own_method(vertex: DiscoveryContract) -> None:
    assert route(vertex, "POST", f"{JOBS}/123:cancel")[0].method_id == f"{TUNING}.cancel"
    assert route(vertex, "GET", f"{JOBS}/123")[0].method_id == f"{TUNING}.get"
    assert route(vertex, "POST", f"{JOBS}:rebaseTunedModel")[0].method_id == f"{TUNING}.rebaseTunedModel"


def test_a_valid_tuning_job_body_has_no_violations(vertex: DiscoveryContract) -> None:
    assert request_rules(vertex, "POST", JOBS, GOOD_JOB) == []


def test_int64_may_be_a_number_or_a_string_in_requests(vertex: DiscoveryContract) -> None:
    body = {
        **GOOD_JOB,
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t", "hyperParameters": {"epochCount": "3"}},
    }
    assert request_rules(vertex, "POST", JOBS, body) == []


def test_unknown_field_is_named_with_its_path(vertex: DiscoveryContract) -> None:
    body = {**GOOD_JOB, "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t", "epochs": 3}}
    [rule] = request_rules(vertex, "POST", JOBS, body)
    assert rule.startswith("body.supervisedTuningSpec.epochs: unknown field")


def test_a_request_may_name_fields_in_snake_case_as_google_parses_them(vertex: DiscoveryContract) -> None:
    # Proto3 JSON parsers read the original field name too; google-genai sends `file_uri`.
    spec = {"training_dataset_uri": "gs://b/t", "hyper_parameters": {"epoch_count": 3}}
    body = {"base_model": "gemini-2.5-flash", "supervised_tuning_spec": spec}
    assert request_rules(vertex, "POST", JOBS, body) == []


def test_snake_case_applies_to_field_names_never_to_map_keys(vertex: DiscoveryContract) -> None:
    found, _ = route(vertex, "POST", JOBS)
    labels = {"tunectl_run": "r1", "tunectlRun": "r2"}
    stored = vertex.canonical_request(found, {**GOOD_JOB, "labels": labels, "tuned_model_display_name": "x"})
    assert stored["tunedModelDisplayName"] == "x" and stored["labels"] == labels
    [rule] = request_rules(vertex, "POST", JOBS, {**GOOD_JOB, "base_modl": "gemini-2.5-flash"})
    assert rule.startswith("body.base_modl: unknown field")


def test_both_names_of_one_field_is_a_duplicate(vertex: DiscoveryContract) -> None:
    [rule] = request_rules(vertex, "POST", JOBS, {**GOOD_JOB, "base_model": "gemini-2.5-flash"})
    assert rule == "body.base_model: duplicate field: 'baseModel' sets it already"


def test_responses_use_lower_camel_names_only(vertex: DiscoveryContract) -> None:
    found, _ = route(vertex, "GET", f"{JOBS}/1")
    job = {"name": "projects/p/locations/l/tuningJobs/1", "base_model": "gemini-2.5-flash"}
    [violation] = vertex.check_response(found, job)
    assert violation.where == "response.base_model" and violation.rule.startswith("unknown field")


def test_wrong_type_is_rejected(vertex: DiscoveryContract) -> None:
    body = {**GOOD_JOB, "labels": {"run": 7}}
    assert request_rules(vertex, "POST", JOBS, body) == [
        "body.labels['run']: expected a string (text), got int 7"
    ]


def test_bad_enum_value_lists_the_allowed_ones(vertex: DiscoveryContract) -> None:
    spec = {"trainingDatasetUri": "gs://b/t", "hyperParameters": {"adapterSize": "ADAPTER_SIZE_3"}}
    [rule] = request_rules(vertex, "POST", JOBS, {**GOOD_JOB, "supervisedTuningSpec": spec})
    assert "'ADAPTER_SIZE_3' is not one of" in rule and "ADAPTER_SIZE_FOUR" in rule


def test_field_documented_as_required_must_be_present(vertex: DiscoveryContract) -> None:
    body = {**GOOD_JOB, "supervisedTuningSpec": {"hyperParameters": {"epochCount": 3}}}
    assert request_rules(vertex, "POST", JOBS, body) == [
        "body.supervisedTuningSpec.trainingDatasetUri: required field missing"
    ]


def test_unknown_query_parameter_lists_the_known_ones(vertex: DiscoveryContract) -> None:
    [rule] = request_rules(vertex, "GET", JOBS, None, labelFilter="x")
    assert rule.startswith("query.labelFilter: unknown query parameter (known: filter, pageSize, pageToken")


def test_query_parameter_types_are_checked(vertex: DiscoveryContract) -> None:
    assert request_rules(vertex, "GET", JOBS, None, pageSize="ten") == [
        "query.pageSize: 'ten' is not an integer"
    ]


def test_gapic_system_parameter_is_accepted(vertex: DiscoveryContract) -> None:
    assert request_rules(vertex, "GET", JOBS, None, **{"$alt": "json;enum-encoding=int"}) == []


def test_responses_must_use_googles_output_form(vertex: DiscoveryContract) -> None:
    found, _ = route(vertex, "GET", f"{JOBS}/1")
    job = {
        "name": "projects/p/locations/l/tuningJobs/1",
        "state": 4,
        "createTime": "yesterday",
        "labels": None,
    }
    rules = {v.where: v.rule for v in vertex.check_response(found, job)}
    assert rules == {
        "response.state": "4 is not one of "
        + str(vertex.schemas["GoogleCloudAiplatformV1TuningJob"]["properties"]["state"]["enum"]),
        "response.createTime": "'yesterday' is not an RFC 3339 timestamp",
        "response.labels": "null is never sent by Google APIs (omit the field)",
    }


def test_canonical_request_is_what_google_echoes(vertex: DiscoveryContract) -> None:
    found, _ = route(vertex, "POST", JOBS)
    spec = {"trainingDatasetUri": "gs://b/t", "hyperParameters": {"epochCount": 3, "adapterSize": 3}}
    canonical = vertex.canonical_request(
        found, {**GOOD_JOB, "description": None, "supervisedTuningSpec": spec}
    )
    assert "description" not in canonical
    assert canonical["supervisedTuningSpec"]["hyperParameters"] == {
        "epochCount": "3",
        "adapterSize": "ADAPTER_SIZE_FOUR",
    }
    assert vertex.check_response(found, canonical) == []


def test_object_names_arrive_as_one_encoded_segment(storage: DiscoveryContract) -> None:
    found, params = route(storage, "GET", "/storage/v1/b/bucket/o/a%2Fb.jsonl")
    assert found.method_id == "storage.objects.get"
    assert params == {"bucket": "bucket", "object": "a%2Fb.jsonl"}


def test_storage_media_download_path_routes_to_objects_get(storage: DiscoveryContract) -> None:
    found, _ = route(storage, "GET", "/download/storage/v1/b/bucket/o/x")
    assert (found.method_id, found.media) == ("storage.objects.get", "download")


def test_check_body_validates_a_hand_built_request_body() -> None:
    from tests.cloud.contract import check_body

    create = "aiplatform.projects.locations.tuningJobs.create"
    assert check_body("aiplatform", "v1", create, GOOD_JOB) == []
    [violation] = check_body("aiplatform", "v1", create, {**GOOD_JOB, "epochs": 3})
    assert (violation.where, violation.rule.split(" (")[0]) == ("body.epochs", "unknown field")
