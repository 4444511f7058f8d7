"""Vertex AI test server, driven through google-genai (Vertex mode) and the GAPIC PipelineService client."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cloud.harness import Cloud
from tests.cloud.storage import StorageServer
from tests.cloud.vertex import PIPELINE_BILLING_LABEL, VertexServer

# google-genai flags its tuning module as experimental on every call.
pytestmark = pytest.mark.filterwarnings("ignore:The SDK's tuning implementation is experimental")

PARENT = "projects/tunectl-test/locations/us-central1"
TRAIN = "gs://tuning/train.jsonl"
EXAMPLES = [
    {
        "contents": [
            {"role": "user", "parts": [{"text": "Classify: great film"}]},
            {"role": "model", "parts": [{"text": "positive"}]},
        ]
    },
    {
        "contents": [
            {"role": "user", "parts": [{"text": "Classify: dull plot"}]},
            {"role": "model", "parts": [{"text": "negative"}]},
        ]
    },
]


@pytest.fixture
def dataset(storage_server: StorageServer) -> str:
    storage_server.create_bucket("tuning")
    storage_server.put_object("tuning", "train.jsonl", "\n".join(json.dumps(e) for e in EXAMPLES).encode())
    return TRAIN


def tune(genai_client: Any, **config: Any) -> Any:
    from google.genai import types

    return genai_client.tunings.tune(
        base_model="gemini-2.5-flash",
        training_dataset=types.TuningDataset(gcs_uri=TRAIN),
        config=types.CreateTuningJobConfig(**config),
    )


def test_created_tuning_job_is_queued_with_its_labels(cloud: Cloud, genai_client: Any, dataset: str) -> None:
    job = tune(genai_client, epoch_count=2, labels={"tunectl-run": "r1"})
    assert job.name.startswith(f"{PARENT}/tuningJobs/")
    assert job.state.value == "JOB_STATE_QUEUED"
    assert job.labels == {"tunectl-run": "r1"}


def test_tuning_job_runs_then_succeeds_with_a_tuned_model(
    cloud: Cloud, genai_client: Any, dataset: str
) -> None:
    job = tune(genai_client, epoch_count=3)
    cloud.clock.tick()
    assert genai_client.tunings.get(name=job.name).state.value == "JOB_STATE_RUNNING"
    cloud.clock.tick()
    done = genai_client.tunings.get(name=job.name)
    assert done.state.value == "JOB_STATE_SUCCEEDED"
    assert done.tuned_model.model.startswith(f"{PARENT}/models/") and done.tuned_model.model.endswith("@1")
    assert done.tuned_model.endpoint.startswith(f"{PARENT}/endpoints/")
    stats = done.tuning_data_stats.supervised_tuning_data_stats
    assert stats.tuning_dataset_example_count == 2
    assert stats.total_billable_token_count == 5 + 2 + 5 + 2  # ceil(chars / 4) per text, one pass


def test_test_chosen_failure_ends_the_job_failed(
    cloud: Cloud, genai_client: Any, dataset: str, vertex_server: VertexServer
) -> None:
    vertex_server.set_outcome("FAILED", "resource exhausted in the tuning pool")
    job = tune(genai_client)
    cloud.clock.tick(2)
    failed = genai_client.tunings.get(name=job.name)
    assert failed.state.value == "JOB_STATE_FAILED"
    assert failed.error.message == "resource exhausted in the tuning pool"


def test_job_whose_dataset_was_never_uploaded_fails(
    cloud: Cloud, genai_client: Any, storage_server: StorageServer
) -> None:
    job = tune(genai_client)
    cloud.clock.tick()
    failed = genai_client.tunings.get(name=job.name)
    assert failed.state.value == "JOB_STATE_FAILED"
    assert TRAIN in failed.error.message


def test_cancel_is_asynchronous(cloud: Cloud, genai_client: Any, dataset: str) -> None:
    job = tune(genai_client)
    cloud.clock.tick()
    genai_client.tunings.cancel(name=job.name)
    assert genai_client.tunings.get(name=job.name).state.value == "JOB_STATE_CANCELLING"
    cloud.clock.tick()
    cancelled = genai_client.tunings.get(name=job.name)
    assert cancelled.state.value == "JOB_STATE_CANCELLED"
    assert cancelled.end_time is not None


def test_cancelling_a_finished_job_is_a_failed_precondition(
    cloud: Cloud, genai_client: Any, dataset: str
) -> None:
    from google.genai import errors

    job = tune(genai_client)
    cloud.clock.tick(2)
    with pytest.raises(errors.ClientError) as caught:
        genai_client.tunings.cancel(name=job.name)
    assert caught.value.code == 400 and caught.value.status == "FAILED_PRECONDITION"


def test_list_filters_on_labels_and_pages(cloud: Cloud, genai_client: Any, dataset: str) -> None:
    for run in ("a", "b", "a", "a"):
        tune(genai_client, labels={"tunectl-run": run, "team": "nlp"})
    pager = genai_client.tunings.list(
        config={"page_size": 2, "filter": 'labels.tunectl-run="a" AND labels.team="nlp"'}
    )
    names = [job.name for job in pager]
    assert len(names) == 3 and len(set(names)) == 3
    assert cloud.faults.calls["aiplatform.projects.locations.tuningJobs.list"] == 2


def test_unsupported_filter_syntax_is_a_400_not_a_silent_match(cloud: Cloud, genai_client: Any) -> None:
    from google.genai import errors

    with pytest.raises(errors.ClientError, match="unsupported filter"):
        list(genai_client.tunings.list(config={"filter": 'labels.a="b" OR labels.a="c"'}))


def test_generate_content_on_the_tuned_endpoint(cloud: Cloud, genai_client: Any, dataset: str) -> None:
    job = tune(genai_client)
    cloud.clock.tick(2)
    endpoint = genai_client.tunings.get(name=job.name).tuned_model.endpoint
    reply = genai_client.models.generate_content(model=endpoint, contents="Classify: fine acting")
    assert reply.text == "tuned answer: Classify: fine acting"
    assert reply.usage_metadata.prompt_token_count == 6


def test_count_tokens_on_a_publisher_model_and_an_endpoint(
    cloud: Cloud, genai_client: Any, dataset: str
) -> None:
    assert (
        genai_client.models.count_tokens(model="gemini-2.5-flash", contents="twelve chars").total_tokens == 3
    )
    job = tune(genai_client)
    cloud.clock.tick(2)
    endpoint = genai_client.tunings.get(name=job.name).tuned_model.endpoint
    assert genai_client.models.count_tokens(model=endpoint, contents="abcde").total_tokens == 2


def _file_part(uri: str, mime: str, **extra: Any) -> dict[str, Any]:
    # snake_case, as google-genai sends a FileData (the contract reads both spellings; a missing
    # mimeType is a contract violation: the discovery document marks it "Required.")
    return {
        "role": "user",
        "parts": [{"file_data": {"file_uri": uri, "mime_type": mime}, **extra}, {"text": "abcd"}],
    }


def test_count_tokens_reads_each_media_object_from_the_storage_server(
    genai_client: Any, storage_server: StorageServer
) -> None:
    storage_server.create_bucket("m")
    storage_server.put_object("m", "a.png", b"png", "image/png")
    storage_server.put_object(
        "m", "d.pdf", b"<< /Type /Page >> << /Type /Page >> << /Type /Pages >>", "application/pdf"
    )
    storage_server.put_object("m", "v.mp4", b"mp4", "video/mp4", metadata={"seconds": "60"})
    storage_server.put_object("m", "s.wav", b"wav", "audio/wav", metadata={"seconds": "10"})

    def count(part: dict[str, Any]) -> int:
        return int(genai_client.models.count_tokens(model="gemini-2.5-flash", contents=[part]).total_tokens)

    assert count(_file_part("gs://m/a.png", "image/png")) == 258 + 1
    assert count(_file_part("gs://m/d.pdf", "application/pdf")) == 2 * 258 + 1  # two pages
    assert count(_file_part("gs://m/s.wav", "audio/wav")) == 10 * 32 + 1
    clip = {"video_metadata": {"start_offset": "50s", "end_offset": "70s"}}  # cut at the end: 10 s
    assert count(_file_part("gs://m/v.mp4", "video/mp4", **clip)) == 10 * 263 + 1


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (_file_part("gs://m/absent.png", "image/png"), "no such object"),
        (_file_part("https://example.com/a.png", "image/png"), "gs:// objects only"),
    ],
)
def test_count_tokens_refuses_media_it_cannot_read(
    genai_client: Any, storage_server: StorageServer, part: dict[str, Any], message: str
) -> None:
    from google.genai import errors

    storage_server.create_bucket("m")
    storage_server.put_object("m", "a.png", b"png", "image/png")
    with pytest.raises(errors.ClientError) as raised:
        genai_client.models.count_tokens(model="gemini-2.5-flash", contents=[part])
    assert raised.value.code == 400 and message in str(raised.value.message)


def test_unknown_field_in_a_tuning_job_is_rejected_and_recorded(cloud: Cloud, genai_client: Any) -> None:
    from google.genai import errors, types

    extra = types.HttpOptions(extra_body={"supervisedTuningSpec": {"epochs": 3}})
    with cloud.expect_violations() as seen, pytest.raises(errors.ClientError) as caught:
        tune(genai_client, http_options=extra)
    assert caught.value.code == 400
    assert "body.supervisedTuningSpec.epochs: unknown field" in str(caught.value)
    assert [v.where for v in seen] == ["body.supervisedTuningSpec.epochs"]


def test_bad_enum_value_is_rejected(cloud: Cloud, genai_client: Any) -> None:
    from google.genai import errors, types

    extra = types.HttpOptions(
        extra_body={"supervisedTuningSpec": {"hyperParameters": {"adapterSize": "ADAPTER_SIZE_3"}}}
    )
    with cloud.expect_violations() as seen, pytest.raises(errors.ClientError):
        tune(genai_client, http_options=extra)
    assert "'ADAPTER_SIZE_3' is not one of" in seen[0].rule


def test_missing_required_dataset_uri_is_rejected(cloud: Cloud, genai_client: Any) -> None:
    from google.genai import errors, types

    extra = types.HttpOptions(extra_body={"supervisedTuningSpec": {"hyperParameters": {"epochCount": 1}}})
    with cloud.expect_violations() as seen, pytest.raises(errors.ClientError):
        genai_client.tunings.tune(
            base_model="gemini-2.5-flash",
            training_dataset=types.TuningDataset(),
            config={"http_options": extra},
        )
    assert [(v.where, v.rule) for v in seen] == [
        ("body.supervisedTuningSpec.trainingDatasetUri", "required field missing")
    ]


# -- pipeline jobs through the GAPIC client google-cloud-aiplatform uses --------------------------


def pipeline_job(labels: dict[str, str]) -> Any:
    from google.cloud.aiplatform_v1 import PipelineJob

    return PipelineJob(
        display_name="rlhf",
        pipeline_spec={
            "pipelineInfo": {"name": "rlhf"},
            "root": {"dag": {"tasks": {}}},
            "schemaVersion": "2.1.0",
        },
        runtime_config={"gcs_output_directory": "gs://tuning/pipeline-root"},
        labels=labels,
    )


def test_pipeline_job_gets_the_billing_label_from_the_server(cloud: Cloud, pipeline_client: Any) -> None:
    created = pipeline_client.create_pipeline_job(
        parent=PARENT, pipeline_job=pipeline_job({"tunectl-run": "r1"}), pipeline_job_id="rlhf-r1"
    )
    assert created.name == f"{PARENT}/pipelineJobs/rlhf-r1"
    assert created.labels["tunectl-run"] == "r1"
    assert created.labels[PIPELINE_BILLING_LABEL].isdigit()
    assert created.state.name == "PIPELINE_STATE_QUEUED"


def test_pipeline_job_lifecycle_cancel_and_filtered_list(cloud: Cloud, pipeline_client: Any) -> None:
    first = pipeline_client.create_pipeline_job(parent=PARENT, pipeline_job=pipeline_job({"run": "x"}))
    pipeline_client.create_pipeline_job(parent=PARENT, pipeline_job=pipeline_job({"run": "y"}))
    cloud.clock.tick()
    assert pipeline_client.get_pipeline_job(name=first.name).state.name == "PIPELINE_STATE_RUNNING"
    pipeline_client.cancel_pipeline_job(name=first.name)
    cloud.clock.tick()
    assert pipeline_client.get_pipeline_job(name=first.name).state.name == "PIPELINE_STATE_CANCELLED"
    listed = pipeline_client.list_pipeline_jobs(request={"parent": PARENT, "filter": 'labels.run="x"'})
    assert [job.name for job in listed] == [first.name]


def test_duplicate_pipeline_job_id_conflicts(cloud: Cloud, pipeline_client: Any) -> None:
    from google.api_core import exceptions

    pipeline_client.create_pipeline_job(parent=PARENT, pipeline_job=pipeline_job({}), pipeline_job_id="same")
    with pytest.raises(exceptions.Conflict):
        pipeline_client.create_pipeline_job(
            parent=PARENT, pipeline_job=pipeline_job({}), pipeline_job_id="same"
        )


def test_tuned_model_and_endpoint_are_readable(
    cloud: Cloud, genai_client: Any, dataset: str, cloud_settings: Any
) -> None:
    from google.cloud.aiplatform_v1 import EndpointServiceClient

    from ops.clients import vertex_client

    job = tune(genai_client, tuned_model_display_name="sentiment-v1")
    cloud.clock.tick(2)
    tuned = genai_client.tunings.get(name=job.name).tuned_model
    model = genai_client.models.get(model=tuned.model)
    assert model.display_name == "sentiment-v1"
    assert model.endpoints[0].name == tuned.endpoint
    endpoint = vertex_client(cloud_settings, "us-central1", EndpointServiceClient).get_endpoint(
        name=tuned.endpoint
    )
    assert endpoint.deployed_models[0].model == tuned.model.split("@")[0]
