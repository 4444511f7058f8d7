"""Cloud Storage JSON API v1: buckets.get; objects insert (simple, multipart, resumable), get
(metadata and media), list.

Buckets are created by the test (`storage.create_bucket("b")`): tunectl never creates them, the
Pulumi stack does.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

import google_crc32c

from tests.cloud.contract import DiscoveryContract, Route, compile_template
from tests.cloud.listing import paginate
from tests.cloud.server import ApiError, ApiServer, Call, Reply, handles

_INSERT = "storage.objects.insert"
_SESSION_TEMPLATE = "/upload/storage/v1/b/{bucket}/o"
_CONTENT_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")


def _session_route() -> Route:
    # Resumable upload chunks: PUT to the session URI the initiating POST returned. The discovery
    # document only describes the initiating POST, so chunks count as calls of objects.insert.
    pattern, names = compile_template(_SESSION_TEMPLATE)
    return Route(_INSERT, "PUT", _SESSION_TEMPLATE, pattern, names, media="resumable")


@dataclass
class _Session:
    bucket: str
    metadata: dict[str, Any]
    data: bytearray


class StorageServer(ApiServer):
    settings_field = "storage_endpoint"
    default_port = 8792
    extra_routes = (_session_route(),)

    def make_contract(self) -> DiscoveryContract:
        return DiscoveryContract("storage", "v1")

    def reset(self) -> None:
        self.buckets: dict[str, dict[str, Any]] = {}
        self.objects: dict[tuple[str, str], tuple[dict[str, Any], bytes]] = {}
        self._sessions: dict[str, _Session] = {}
        self._generation = 1_700_000_000_000_000

    # -- test controls --------------------------------------------------------------------------

    def create_bucket(
        self, name: str, *, location: str = "US-CENTRAL1", labels: dict[str, str] | None = None
    ) -> None:
        now = self.cloud.clock.timestamp()
        self.buckets[name] = {
            "kind": "storage#bucket",
            "id": name,
            "name": name,
            "selfLink": f"{self.url}/storage/v1/b/{name}",
            "projectNumber": "123456789012",
            "metageneration": "1",
            "location": location,
            "locationType": "region",
            "storageClass": "STANDARD",
            "etag": "CAE=",
            "timeCreated": now,
            "updated": now,
            "labels": labels or {},
            "iamConfiguration": {
                "uniformBucketLevelAccess": {"enabled": True},
                "publicAccessPrevention": "enforced",
            },
        }

    def put_object(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> None:
        """Seed an object as if something else had uploaded it; `metadata` is its custom metadata."""
        resource: dict[str, Any] = {"name": name, "contentType": content_type}
        if metadata is not None:
            resource["metadata"] = dict(metadata)
        self._store(bucket, resource, data)

    def read_uri(self, uri: str) -> bytes | None:
        """The bytes behind `gs://bucket/name`, or None (used by other servers, e.g. Vertex datasets)."""
        if not uri.startswith("gs://") or "/" not in uri[5:]:
            return None
        bucket, name = uri[5:].split("/", 1)
        found = self.objects.get((bucket, name))
        return found[1] if found else None

    # -- request parsing ------------------------------------------------------------------------

    def parse_body(self, route: Route, content_type: str, raw_body: bytes) -> Any:
        if raw_body and content_type.lower().startswith("multipart/related"):
            metadata, _media, _type = _split_multipart(content_type, raw_body)
            return metadata
        return super().parse_body(route, content_type, raw_body)

    # -- handlers -------------------------------------------------------------------------------

    @handles("storage.buckets.get")
    def get_bucket(self, call: Call) -> dict[str, Any]:
        return self._bucket(call.path_params["bucket"])

    @handles(_INSERT)
    def insert_object(self, call: Call) -> Reply | dict[str, Any]:
        bucket = call.path_params["bucket"]
        self._bucket(bucket)
        if call.route.media == "resumable":
            return self._upload_chunk(call)
        upload_type = call.query.get("uploadType")
        if call.route.media is None or upload_type is None:
            raise ApiError(
                400, "objects.insert needs uploadType=media, multipart or resumable on the upload path"
            )
        metadata = dict(call.body or {})
        if "name" in call.query:
            metadata["name"] = call.query["name"]
        if not metadata.get("name"):
            raise ApiError(
                400, "Required: an object name (query `name` or metadata `name`)", reason="required"
            )
        if upload_type == "media":
            metadata.setdefault("contentType", call.headers.get("Content-Type", "application/octet-stream"))
            return self._store(bucket, metadata, call.raw_body)
        if upload_type == "multipart":
            _meta, media, media_type = _split_multipart(call.headers.get("Content-Type", ""), call.raw_body)
            metadata.setdefault("contentType", media_type)
            return self._store(bucket, metadata, media)
        if upload_type == "resumable":
            metadata.setdefault(
                "contentType", call.headers.get("X-Upload-Content-Type", "application/octet-stream")
            )
            upload_id = f"session-{len(self._sessions) + 1}"
            self._sessions[upload_id] = _Session(bucket, metadata, bytearray())
            session = _SESSION_TEMPLATE.format(bucket=bucket)
            location = f"{self.url}{session}?uploadType=resumable&upload_id={upload_id}"
            return Reply(body=None, headers={"Location": location}, raw=b"")
        raise ApiError(400, f"unknown uploadType {upload_type!r}")

    def _upload_chunk(self, call: Call) -> Reply | dict[str, Any]:
        session = self._sessions.get(call.query.get("upload_id", ""))
        if session is None:
            raise ApiError(404, "No such upload session")
        found = _CONTENT_RANGE.match(call.headers.get("Content-Range", f"bytes */{len(call.raw_body)}"))
        if not found:
            raise ApiError(400, f"bad Content-Range {call.headers.get('Content-Range')!r}")
        start, _end, total = found.groups()
        if start is not None and int(start) != len(session.data):
            raise ApiError(400, f"chunk starts at {start}, expected {len(session.data)}")
        session.data.extend(call.raw_body)
        if total == "*" or len(session.data) < int(total):
            headers = {"Range": f"bytes=0-{len(session.data) - 1}"} if session.data else {}
            return Reply(status=308, headers=headers, raw=b"")
        del self._sessions[call.query["upload_id"]]
        return self._store(session.bucket, session.metadata, bytes(session.data))

    @handles("storage.objects.get")
    def get_object(self, call: Call) -> Reply | dict[str, Any]:
        bucket, name = call.path_params["bucket"], call.path_params["object"]
        self._bucket(bucket)
        found = self.objects.get((bucket, name))
        if found is None:
            raise ApiError(404, f"No such object: {bucket}/{name}", reason="notFound")
        resource, data = found
        if call.query.get("alt") != "media":
            return resource
        headers = {
            "x-goog-hash": f"crc32c={resource['crc32c']},md5={resource['md5Hash']}",
            "x-goog-generation": resource["generation"],
            "x-goog-stored-content-length": resource["size"],
        }
        byte_range = re.match(r"^bytes=(\d+)-(\d*)$", call.headers.get("Range", ""))
        if byte_range:
            start = int(byte_range.group(1))
            end = int(byte_range.group(2)) if byte_range.group(2) else len(data) - 1
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return Reply(
                status=206, raw=data[start : end + 1], headers=headers, content_type=resource["contentType"]
            )
        return Reply(raw=data, headers=headers, content_type=resource["contentType"])

    @handles("storage.objects.list")
    def list_objects(self, call: Call) -> dict[str, Any]:
        bucket = call.path_params["bucket"]
        self._bucket(bucket)
        prefix, delimiter = call.query.get("prefix", ""), call.query.get("delimiter")
        items: list[dict[str, Any]] = []
        prefixes: set[str] = set()
        for (b, name), (resource, _data) in sorted(self.objects.items()):
            if b != bucket or not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            if delimiter and delimiter in rest:
                prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
            else:
                items.append(resource)
        page, token = paginate(items, call.query.get("maxResults"), call.query.get("pageToken"), default=1000)
        reply: dict[str, Any] = {"kind": "storage#objects", "items": page}
        if prefixes:
            reply["prefixes"] = sorted(prefixes)
        if token:
            reply["nextPageToken"] = token
        return reply

    # -- helpers --------------------------------------------------------------------------------

    def _bucket(self, name: str) -> dict[str, Any]:
        if name not in self.buckets:
            raise ApiError(404, "The specified bucket does not exist.", reason="notFound")
        return self.buckets[name]

    def _store(self, bucket: str, metadata: dict[str, Any], data: bytes) -> dict[str, Any]:
        name = metadata["name"]
        crc = base64.b64encode(google_crc32c.Checksum(data).digest()).decode()
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        if metadata.get("crc32c") and metadata["crc32c"] != crc:
            raise ApiError(400, "Provided CRC32C does not match the uploaded data", reason="invalid")
        if metadata.get("md5Hash") and metadata["md5Hash"] != md5:
            raise ApiError(400, "Provided MD5 hash does not match the uploaded data", reason="invalid")
        self._generation += 1
        now = self.cloud.clock.timestamp()
        quoted = urllib.parse.quote(name, safe="")
        resource = {
            **{k: v for k, v in metadata.items() if k not in {"crc32c", "md5Hash"}},
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{self._generation}",
            "selfLink": f"{self.url}/storage/v1/b/{bucket}/o/{quoted}",
            "mediaLink": f"{self.url}/download/storage/v1/b/{bucket}/o/{quoted}"
            f"?generation={self._generation}&alt=media",
            "name": name,
            "bucket": bucket,
            "generation": str(self._generation),
            "metageneration": "1",
            "contentType": metadata.get("contentType", "application/octet-stream"),
            "storageClass": "STANDARD",
            "size": str(len(data)),
            "md5Hash": md5,
            "crc32c": crc,
            "etag": base64.b64encode(str(self._generation).encode()).decode(),
            "timeCreated": now,
            "updated": now,
            "timeStorageClassUpdated": now,
            "timeFinalized": now,
        }
        self.objects[(bucket, name)] = (resource, data)
        return resource


def _split_multipart(content_type: str, raw_body: bytes) -> tuple[dict[str, Any], bytes, str]:
    """(metadata, media, media content type) of a multipart/related upload."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw_body
    )
    parts: list[Any] = list(message.iter_parts()) if hasattr(message, "iter_parts") else []
    if len(parts) != 2:
        raise ValueError(f"multipart/related upload needs 2 parts (metadata, media), got {len(parts)}")
    metadata: dict[str, Any] = json.loads(parts[0].get_payload(decode=True))
    media: bytes = parts[1].get_payload(decode=True)
    return metadata, media, parts[1].get_content_type()
