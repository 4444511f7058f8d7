"""Fixtures for the tune tests: the compiled rlhf pipeline (once per session) and a CLI pointed at the
local test servers with a stack-outputs file, a fresh ledger and short request timeouts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DATASETS_BUCKET = "tunectl-test-datasets"
PIPELINE_BUCKET = "tunectl-test-pipelines"
SERVICE_ACCOUNT = "tuning@tunectl-test.iam.gserviceaccount.com"


@pytest.fixture(scope="session", name="pipeline_cache")
def pipeline_cache_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An XDG cache home holding the compiled rlhf pipeline: kfp compiles it once per session."""
    from ops.tuning.pipeline import compiled_pipeline

    home = tmp_path_factory.mktemp("xdg-cache")
    compiled_pipeline(home / "tunectl")
    return home


@dataclass
class TuneCli:
    ledger: Path
    stack_outputs: Path
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str) -> tuple[int, str, str]:
        from ops.cli import run

        self.capsys.readouterr()
        status = run(list(args))
        out, err = self.capsys.readouterr()
        return status, out, err

    def json(self, *args: str) -> tuple[int, Any]:
        status, out, err = self(*args, "--format", "json")
        assert out.strip(), f"no JSON on stdout (exit {status}); stderr:\n{err}"
        return status, json.loads(out)


def write_stack_outputs(path: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "datasets_bucket": f"gs://{DATASETS_BUCKET}",
                "pipeline_root": f"gs://{PIPELINE_BUCKET}/pipeline-root",
                "tuning_service_account": SERVICE_ACCOUNT,
                "region": "us-central1",
            }
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture(name="tune")
def tune_fixture(
    cloud: Any,
    cloud_env: dict[str, str],
    pipeline_cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[TuneCli]:
    """`tune("tune", "launch", ...)` runs tunectl in-process against the test servers."""
    from tests.cloud.storage import StorageServer

    storage = cloud.get(StorageServer)
    storage.create_bucket(DATASETS_BUCKET)
    storage.create_bucket(PIPELINE_BUCKET, location="EUROPE-WEST4")
    cli = TuneCli(tmp_path / "ledger.sqlite", write_stack_outputs(tmp_path / "stack.json"), capsys)
    monkeypatch.setenv("TUNECTL_LEDGER", str(cli.ledger))
    monkeypatch.setenv("TUNECTL_STACK_OUTPUTS", str(cli.stack_outputs))
    monkeypatch.setenv("TUNECTL_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(pipeline_cache))
    # A hung response must end in a retry quickly; the servers hold hung requests for 5 s.
    monkeypatch.setenv("TUNECTL_REQUEST_TIMEOUT", "0.5")
    yield cli


class Ticker:
    """Moves the servers' clock in the background while a command polls (wait, cancel)."""

    def __init__(self, cloud: Any, every: float = 0.02) -> None:
        import threading

        self._cloud = cloud
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._cloud.clock.tick()

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def wire(value: Any) -> Any:
    """Proto JSON writes int64 as strings; compare numbers the way they travel."""
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
