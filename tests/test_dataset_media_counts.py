"""`--counter vertex` on examples with media: each is sent whole to CountTokens (google-genai, REST,
against the contract-checked Vertex test server, which reads the objects from the storage test
server), so whole audio/video files and PDFs are counted, not unknown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops.cli import run
from ops.errors import ExitStatus
from tests import test_progress
from tests.test_progress import Terminal

screen = test_progress.terminal  # a fixture: a stderr that says it is a terminal

COUNT = "aiplatform.projects.locations.publishers.models.countTokens"
VERTEX = ["--counter", "vertex", "--base-model", "gemini-2.5-flash"]
CORPUS = Path(__file__).parent / "data" / "google"


def _pdf(pages: int) -> bytes:
    body = b"".join(b"%d 0 obj << /Type /Page /Parent 1 0 R >> endobj\n" % (i + 2) for i in range(pages))
    return b"%PDF-1.7\n1 0 obj << /Type /Pages /Count " + str(pages).encode() + b" >> endobj\n" + body


def _seed(storage_server) -> None:
    storage_server.create_bucket("media")
    put = storage_server.put_object
    put("media", "match.mp4", b"\x00mp4", "video/mp4", metadata={"seconds": "10"})
    put("media", "long.mp4", b"\x00mp4", "video/mp4", metadata={"seconds": "600"})
    put("media", "report.pdf", _pdf(3), "application/pdf")
    put("media", "call.mp3", b"ID3", "audio/mpeg", metadata={"seconds": "100"})
    put("media", "cat.png", b"\x89PNG", "image/png")


def _turns(parts: list[dict[str, Any]], answer: str) -> list[dict[str, Any]]:
    return [{"role": "user", "parts": parts}, {"role": "model", "parts": [{"text": answer}]}]


# Tokens on the test server: ceil(chars / 4) per text; 263 per second of video, 32 per second of
# audio, 258 per PDF page and per image (tests/cloud/vertex.py MEDIA_TOKENS).
LINES: list[dict[str, Any]] = [
    {  # snake_case, a 2.5 s clip of a 10 s video: 3 + 658 + 3 in, 2 out
        "system_instruction": {"parts": [{"text": "Be brief."}]},
        "contents": _turns(
            [
                {
                    "file_data": {"mime_type": "video/mp4", "file_uri": "gs://media/match.mp4"},
                    "video_metadata": {"start_offset": "1s", "end_offset": "3.5s"},
                },
                {"text": "Describe."},
            ],
            "A goal.",
        ),
    },
    {  # a 3-page PDF: 774 + 3 in, 2 out
        "contents": _turns(
            [
                {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://media/report.pdf"}},
                {"text": "Summarize."},
            ],
            "Short.",
        )
    },
    {  # a whole 100 s audio file: 3200 + 3 in, 2 out
        "contents": _turns(
            [
                {"fileData": {"mimeType": "audio/mpeg", "fileUri": "gs://media/call.mp3"}},
                {"text": "Transcribe."},
            ],
            "Hello.",
        )
    },
    {  # an image: 258 + 3 in, 2 out
        "contents": _turns(
            [
                {"fileData": {"mimeType": "image/png", "fileUri": "gs://media/cat.png"}},
                {"text": "What is it?"},
            ],
            "A cat.",
        )
    },
    {"contents": _turns([{"text": "Hi there."}], "Hello.")},  # text only: 3 in, 2 out
]


def _write(tmp_path: Path, lines: list[dict[str, Any]], name: str = "media.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _validate(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    status = run(["dataset", "validate", str(path), *extra, "-f", "json"])
    (report,) = json.loads(capsys.readouterr().out)["files"]
    return status, report


def test_examples_with_media_are_counted_whole_and_nothing_stays_unknown(
    cloud, cloud_env, storage_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(storage_server)
    path = _write(tmp_path, LINES)
    status, offline = _validate(path, capsys)
    assert offline["stats"]["tokens"]["complete"] is False  # the PDF and the whole audio file
    assert offline["stats"]["tokens"]["media_counter"]["name"] == "documented-rates"

    status, report = _validate(path, capsys, *VERTEX)
    assert status == ExitStatus.OK, report["errors"]
    tokens = report["stats"]["tokens"]
    assert tokens["billable"] == 666 + 779 + 3205 + 263 + 5
    assert tokens["input"]["max"] == 3203 and tokens["output"]["total"] == 10
    assert tokens["complete"] is True and tokens["media_unknown_parts"] == 0
    assert tokens["media_estimated"] == 0  # every media token came from CountTokens
    assert report["stats"]["token_counter"]["name"] == "vertex-count-tokens:gemini-2.5-flash"
    media = tokens["media_counter"]
    assert (media["name"], media["exact"], media["examples"], media["refused"]) == (
        "vertex-count-tokens:gemini-2.5-flash",
        True,
        4,
        0,
    )
    # One whole-example request per example with media; every example's texts as before (two each).
    assert cloud.faults.calls[COUNT] == 4 + 2 * len(LINES)


def test_the_text_report_says_which_counter_counted_the_media(
    cloud, cloud_env, storage_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(storage_server)
    assert run(["dataset", "validate", str(_write(tmp_path, LINES)), *VERTEX]) == ExitStatus.OK
    out = capsys.readouterr().out
    assert "tokens (vertex-count-tokens:gemini-2.5-flash)" in out
    assert "4 counted whole by vertex-count-tokens:gemini-2.5-flash (media included)" in out
    assert "unknown" not in out


def test_text_only_examples_keep_one_request_per_text(
    cloud, cloud_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = _validate(_write(tmp_path, LINES[-1:] * 3), capsys, *VERTEX)
    assert status == ExitStatus.OK
    assert cloud.faults.calls[COUNT] == 2 * 3
    assert "media_counter" not in report["stats"]["tokens"]


def test_an_object_count_tokens_cannot_read_is_an_error_on_its_line(
    cloud, cloud_env, storage_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(storage_server)
    missing = json.loads(json.dumps(LINES[2]).replace("call.mp3", "gone.mp3"))
    status, report = _validate(_write(tmp_path, [LINES[3], missing]), capsys, *VERTEX)
    assert status == ExitStatus.CHECK_FAILED
    (refused,) = [f for f in report["errors"] if f["code"] == "count-tokens-refused"]
    assert refused["line"] == 2 and "gs://media/gone.mp3" in refused["message"]
    tokens = report["stats"]["tokens"]
    assert tokens["complete"] is False and tokens["media_unknown_parts"] == 1  # still unknown
    assert (tokens["media_counter"]["examples"], tokens["media_counter"]["refused"]) == (1, 1)


def test_the_per_example_limit_is_checked_on_the_whole_count(
    cloud, cloud_env, storage_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(storage_server)
    long_video = json.loads(json.dumps(LINES[1]).replace("application/pdf", "video/mp4"))
    long_video = json.loads(json.dumps(long_video).replace("report.pdf", "long.mp4"))
    path = _write(tmp_path, [long_video])
    _, offline = _validate(path, capsys)
    assert "too-many-tokens" not in [f["code"] for f in offline["errors"]]  # unknown offline
    status, report = _validate(path, capsys, *VERTEX)
    assert status == ExitStatus.CHECK_FAILED
    (over,) = [f for f in report["errors"] if f["code"] == "too-many-tokens"]
    assert over["line"] == 1 and over["message"].startswith("157,805 tokens (157,803 in, 2 out)")


def test_plan_prices_media_with_the_whole_counts(
    cloud, cloud_env, storage_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(storage_server)
    path = _write(tmp_path, LINES[:4] * 4)  # 16 examples: the documented minimum
    base = [
        "plan",
        "--engine",
        "gemini",
        "--base-model",
        "gemini-2.5-pro",  # current and priced: plan refuses a retired model as launch does
        "-f",
        "json",
        "--train",
        str(path),
    ]
    assert run(base) == ExitStatus.OK
    assert json.loads(capsys.readouterr().out)["estimated_cost"] is None  # offline: unknown
    assert run([*base, "--counter", "vertex"]) == ExitStatus.OK
    plan = json.loads(capsys.readouterr().out)
    assert plan["billable_tokens"] == 4 * (666 + 779 + 3205 + 263)
    assert plan["estimated_cost"] is not None
    (media,) = [a for a in plan["assumptions"] if a["name"] == "media tokens"]
    assert media["value"].startswith("16 example(s) with media counted whole by vertex-count-tokens")


def _uris(value: Any) -> dict[str, str]:
    """fileUri -> mimeType of every fileData in a JSON value, either spelling."""
    if isinstance(value, list):
        return {k: v for item in value for k, v in _uris(item).items()}
    if not isinstance(value, dict):
        return {}
    data = value.get("fileData") or value.get("file_data")
    found = {}
    if isinstance(data, dict):
        found[data.get("fileUri") or data["file_uri"]] = data.get("mimeType") or data["mime_type"]
    for item in value.values():
        found.update(_uris(item))
    return found


@pytest.mark.parametrize(
    "name", ["image.jsonl", "multiple-images.jsonl", "pdf.jsonl", "audio.jsonl", "video-offsets.jsonl"]
)
def test_every_documented_media_shape_is_sent_as_the_api_takes_it(
    name: str, cloud, cloud_env, storage_server, capsys: pytest.CaptureFixture[str]
) -> None:
    # The `cloud` fixture fails the test on any contract violation of the requests google-genai sent.
    lines = [json.loads(x) for x in (CORPUS / name).read_text().splitlines()]
    for uri, mime in _uris(lines).items():
        bucket, _, object_name = uri.removeprefix("gs://").partition("/")
        if (bucket, object_name) not in storage_server.objects:
            if bucket not in storage_server.buckets:
                storage_server.create_bucket(bucket)
            data = _pdf(2) if mime == "application/pdf" else b"\x00"
            storage_server.put_object(bucket, object_name, data, mime, metadata={"seconds": "90"})
    _, report = _validate(CORPUS / name, capsys, *VERTEX)
    tokens = report["stats"]["tokens"]
    assert tokens["complete"] is True
    assert tokens["media_counter"]["examples"] == report["stats"]["media"]["multimodal_examples"] > 0
    assert not [f for f in report["errors"] if f["code"] == "count-tokens-refused"]


def test_a_bar_on_a_terminal_counts_the_examples_sent_whole(
    cloud,
    cloud_env,
    storage_server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    screen: Terminal,
) -> None:
    _seed(storage_server)
    path = _write(tmp_path, LINES)
    screen.take()
    assert run(["dataset", "validate", str(path), *VERTEX, "-f", "json"]) == ExitStatus.OK
    json.loads(capsys.readouterr().out)  # stdout holds the report alone
    assert "counting examples with media (CountTokens)" in screen.getvalue()


def test_an_example_with_media_tools_and_function_parts_is_sent_whole(
    cloud, cloud_env, storage_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(storage_server)
    declaration = {
        "name": "find_cat",
        "description": "Find a cat by its photo",
        "parameters": {"type": "OBJECT", "properties": {"breed": {"type": "STRING"}}, "required": ["breed"]},
    }
    line = {
        "systemInstruction": {"parts": [{"text": "Use the tools."}]},
        "tools": [{"function_declarations": [declaration]}],
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"fileData": {"mimeType": "image/png", "fileUri": "gs://media/cat.png"}},
                    {"text": "Whose cat?"},
                ],
            },
            {"role": "model", "parts": [{"functionCall": {"name": "find_cat", "args": {"breed": "tabby"}}}]},
            {
                "role": "user",
                "parts": [{"function_response": {"name": "find_cat", "response": {"owner_name": "Ada"}}}],
            },
            {"role": "model", "parts": [{"text": "Ada's."}]},
        ],
    }
    status, report = _validate(_write(tmp_path, [line]), capsys, *VERTEX)
    assert status == ExitStatus.OK, report["errors"]
    assert report["stats"]["tokens"]["media_counter"]["examples"] == 1
    # The server counts the texts and the image (258) of the request; the output text is 2 tokens.
    assert report["stats"]["tokens"]["billable"] == 4 + 258 + 3 + 2


def test_stats_names_both_counters(
    cloud, cloud_env, storage_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(storage_server)
    assert run(["dataset", "stats", str(_write(tmp_path, LINES)), *VERTEX]) == ExitStatus.OK
    out = capsys.readouterr().out
    assert "counter method: Vertex AI CountTokens" in out
    assert "media counter method: each example with media sent whole" in out
