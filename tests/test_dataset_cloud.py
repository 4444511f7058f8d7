"""Datasets in Cloud Storage and Vertex AI CountTokens, through Google's client libraries and the
local contract-checked servers (tests/cloud)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.cli import run
from ops.datasets import VertexTokenCounter, validate_file
from ops.datasets.convert import convert_file
from ops.errors import ExitStatus, TunectlError
from tests.dataset_fixtures import palm

BUCKET = "tunectl-test-data"


def _put(storage_server, name: str, records: list[object]) -> str:
    storage_server.create_bucket(BUCKET)
    storage_server.put_object(BUCKET, name, "".join(json.dumps(r) + "\n" for r in records).encode())
    return f"gs://{BUCKET}/{name}"


def test_a_gs_object_is_validated_with_line_numbers(cloud, cloud_settings, storage_server) -> None:
    uri = _put(storage_server, "train.jsonl", [palm(1), {"input_text": "x"}, palm(2)])
    report = validate_file(uri, settings=cloud_settings)
    assert report.path == uri
    assert [(f.code, f.line) for f in report.errors] == [("missing-field", 2)]


def test_a_remote_object_that_is_not_jsonl_is_an_error(cloud, cloud_settings, storage_server) -> None:
    uri = _put(storage_server, "train.json", [palm(1)])
    report = validate_file(uri, settings=cloud_settings)
    assert [f.code for f in report.errors] == ["file-not-jsonl"]


def test_a_missing_object_is_a_diagnostic(cloud, cloud_settings, storage_server) -> None:
    storage_server.create_bucket(BUCKET)
    with pytest.raises(TunectlError) as raised:
        validate_file(f"gs://{BUCKET}/absent.jsonl", settings=cloud_settings)
    assert raised.value.code == "dataset-not-found"


def test_a_gs_object_converts_to_a_local_file(cloud, cloud_settings, storage_server, tmp_path: Path) -> None:
    uri = _put(storage_server, "train.jsonl", [palm(1), palm(2)])
    result = convert_file(uri, tmp_path / "g.jsonl", to="gemini", settings=cloud_settings)
    assert result.examples == 2 and "contents" in (tmp_path / "g.jsonl").read_text()


def test_vertex_counter_counts_each_text_with_count_tokens(cloud, cloud_settings) -> None:
    counter = VertexTokenCounter(cloud_settings, model="gemini-2.5-flash", parallel=2)
    assert counter.count(["abcd", "", "abcdefghi"]) == [1, 0, 3]
    assert counter.exact and counter.name == "vertex-count-tokens:gemini-2.5-flash"


def test_validate_with_the_vertex_counter_reports_it(cloud, cloud_env, storage_server, capsys) -> None:
    uri = _put(storage_server, "train.jsonl", [{"input_text": "x" * 8, "output_text": "y" * 4}])
    args = [
        "dataset",
        "validate",
        uri,
        "--counter",
        "vertex",
        "--base-model",
        "gemini-2.5-flash",
        "-f",
        "json",
    ]
    assert run(args) == ExitStatus.OK
    (file,) = json.loads(capsys.readouterr().out)["files"]
    assert file["stats"]["token_counter"]["name"] == "vertex-count-tokens:gemini-2.5-flash"
    assert file["stats"]["tokens"]["billable"] == 3


def _media_line(uri: str, mime: str) -> dict:
    return {
        "contents": [
            {
                "role": "user",
                "parts": [{"fileData": {"mimeType": mime, "fileUri": uri}}, {"text": "Describe."}],
            },
            {"role": "model", "parts": [{"text": "A street."}]},
        ]
    }


def test_check_uris_finds_missing_mistyped_and_oversized_objects(
    cloud, cloud_env, storage_server, tmp_path: Path, capsys
) -> None:
    storage_server.create_bucket("media")
    storage_server.put_object("media", "ok.jpeg", b"\xff\xd8jpeg", content_type="image/jpeg")
    storage_server.put_object("media", "png.jpeg", b"\x89PNG", content_type="image/png")
    storage_server.put_object(
        "media", "big.pdf", b"%PDF" + b"0" * (20 * 1024 * 1024), content_type="application/pdf"
    )
    lines = [
        _media_line("gs://media/ok.jpeg", "image/jpeg"),
        _media_line("gs://media/absent.jpeg", "image/jpeg"),
        _media_line("gs://media/png.jpeg", "image/jpeg"),
        _media_line("gs://media/big.pdf", "application/pdf"),
        _media_line("gs://media/absent.jpeg", "image/jpeg"),  # the same object: asked once
    ]
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run(["dataset", "validate", str(path), "-f", "json"]) == ExitStatus.OK  # off by default
    capsys.readouterr()
    assert "storage.objects.get" not in cloud.faults.calls
    assert run(["dataset", "validate", str(path), "--check-uris", "-f", "json"]) == ExitStatus.CHECK_FAILED
    (report,) = json.loads(capsys.readouterr().out)["files"]
    found = [
        (f["line"], f["code"])
        for f in [*report["errors"], *report["warnings"]]
        if f["code"].startswith("media-")
    ]
    assert sorted(found) == [(2, "media-not-found"), (3, "media-type-mismatch"), (4, "media-too-large")]
    (missing,) = [f for f in report["errors"] if f["code"] == "media-not-found"]
    assert "2 example(s)" in missing["message"]
    assert cloud.faults.calls["storage.objects.get"] == 4  # one metadata read per distinct object
