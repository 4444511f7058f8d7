"""Without Application Default Credentials, commands say so once, clearly; preflight says unknown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFERENCE = ROOT / "samples" / "sarcasm-preference" / "train.jsonl"


def _tunectl(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNECTL_", "GOOGLE_", "CLOUDSDK_"))}
    env.update(
        # A missing key file makes google.auth fail at once, without probing a metadata server.
        GOOGLE_APPLICATION_CREDENTIALS=str(tmp_path / "no-such-credentials.json"),
        NO_GCE_CHECK="True",
        HOME=str(tmp_path),
        TUNECTL_CONFIG=str(tmp_path / "config.toml"),
        TUNECTL_LEDGER=str(tmp_path / "ledger.sqlite"),
    )
    return subprocess.run(
        [sys.executable, "-m", "ops", "--project", "my-project", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_quota_show_without_credentials_is_one_clear_diagnostic(tmp_path: Path) -> None:
    result = _tunectl(tmp_path, "quota", "show")
    assert result.returncode == 3
    assert result.stderr.startswith("error[cloud-unauthenticated]: no Google Cloud credentials")
    assert "gcloud auth application-default login" in result.stderr
    assert "Traceback" not in result.stderr


def test_preflight_without_credentials_marks_cloud_checks_unknown(tmp_path: Path) -> None:
    result = _tunectl(
        tmp_path, "preflight", "--train", str(PREFERENCE), "--engine", "rlhf-pipeline",
        "--accelerator", "gpu", "--steps", "30", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # unknown is not a go: exit 1, never 0 or 3
    assert json.loads(result.stdout)["verdict"] == "unknown"
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    quota = [c for name, c in checks.items() if name.startswith("quota")]
    assert quota and all(c["status"] == "unknown" and "cloud-unauthenticated" in c["reason"] for c in quota)
    assert checks["dataset"]["status"] == "ok"
