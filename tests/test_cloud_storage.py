"""Cloud Storage test server, driven through google-cloud-storage (and its bundled upload classes)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.cloud.harness import Cloud
from tests.cloud.storage import StorageServer

BUCKET = "tuning"


@pytest.fixture
def bucket(storage_server: StorageServer, storage_client: Any) -> Any:
    storage_server.create_bucket(BUCKET, labels={"stack": "dev"})
    return storage_client.bucket(BUCKET)


def test_get_bucket_returns_its_metadata(cloud: Cloud, bucket: Any, storage_client: Any) -> None:
    found = storage_client.get_bucket(BUCKET)
    assert found.labels == {"stack": "dev"}
    assert found.iam_configuration.uniform_bucket_level_access_enabled


def test_missing_bucket_is_not_found(cloud: Cloud, storage_client: Any) -> None:
    from google.api_core import exceptions

    with pytest.raises(exceptions.NotFound):
        storage_client.get_bucket("nope")


def test_multipart_upload_then_metadata_and_media_download(
    cloud: Cloud, bucket: Any, storage_client: Any
) -> None:
    blob = bucket.blob("datasets/train.jsonl")
    blob.metadata = {"tunectl-run": "r1"}
    blob.upload_from_string(b'{"contents": []}\n', content_type="application/jsonl")
    fetched = bucket.get_blob("datasets/train.jsonl")
    assert (fetched.size, fetched.content_type, fetched.metadata) == (
        17,
        "application/jsonl",
        {"tunectl-run": "r1"},
    )
    assert fetched.download_as_bytes() == b'{"contents": []}\n'


def test_resumable_upload_in_chunks(cloud: Cloud, bucket: Any, storage_server: StorageServer) -> None:
    data = bytes(range(256)) * 2048  # 512 KiB: two 256 KiB chunks
    blob = bucket.blob("big.bin", chunk_size=256 * 1024)
    blob.upload_from_file(io.BytesIO(data))  # no size given: google-cloud-storage goes resumable
    resource, stored = storage_server.objects[(BUCKET, "big.bin")]
    assert stored == data and resource["size"] == str(len(data))
    # Initiate, two chunks, and the empty closing chunk of a stream whose size was not given.
    assert cloud.faults.calls["storage.objects.insert"] == 4


def test_simple_media_upload(
    cloud: Cloud, bucket: Any, storage_client: Any, storage_server: StorageServer
) -> None:
    from google.cloud.storage._media.requests import SimpleUpload

    url = f"{storage_client.api_endpoint}/upload/storage/v1/b/{BUCKET}/o?uploadType=media&name=notes.txt"
    SimpleUpload(url).transmit(storage_client._http, b"hello", "text/plain")
    assert storage_server.read_uri(f"gs://{BUCKET}/notes.txt") == b"hello"


def test_list_with_prefix_delimiter_and_paging(
    cloud: Cloud, bucket: Any, storage_client: Any, storage_server: StorageServer
) -> None:
    for name in ("runs/a/1", "runs/a/2", "runs/b/1", "runs/top.json", "other.txt"):
        storage_server.put_object(BUCKET, name, b"x")
    listing = storage_client.list_blobs(BUCKET, prefix="runs/", delimiter="/", max_results=10, page_size=1)
    assert [blob.name for blob in listing] == ["runs/top.json"]
    assert listing.prefixes == {"runs/a/", "runs/b/"}
    every = storage_client.list_blobs(BUCKET, page_size=2)
    assert len(list(every)) == 5
    assert cloud.faults.calls["storage.objects.list"] == 1 + 3


def test_wrong_query_parameter_type_is_rejected(cloud: Cloud, bucket: Any, storage_client: Any) -> None:
    from google.api_core import exceptions

    with cloud.expect_violations() as seen, pytest.raises(exceptions.BadRequest):
        list(storage_client.list_blobs(BUCKET, versions="sometimes", retry=None))
    assert [(v.where, v.rule) for v in seen] == [("query.versions", "'sometimes' is not a boolean")]


def test_bad_enum_query_parameter_is_rejected(cloud: Cloud, bucket: Any) -> None:
    from google.api_core import exceptions

    with cloud.expect_violations() as seen, pytest.raises(exceptions.BadRequest):
        bucket.reload(projection="everything")
    assert (
        seen[0].where == "query.projection" and "'everything' is not one of ['full', 'noAcl']" in seen[0].rule
    )


def test_mismatching_client_checksum_is_rejected(cloud: Cloud, bucket: Any) -> None:
    from google.api_core import exceptions

    blob = bucket.blob("x.txt")
    blob.crc32c = "AAAAAA=="
    with pytest.raises(exceptions.BadRequest, match="CRC32C"):
        blob.upload_from_string(b"payload", checksum=None)
