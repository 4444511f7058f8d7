"""`tunectl quota watch`: poll until Google decides, on the test servers' clock (no real waiting)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ops.quotas.status import PreferenceStatus
from ops.quotas.watch import watch_with_progress
from tests.cloud.harness import EPOCH, Cloud
from tests.cloud.quotas import TPU_ID, QuotasServer
from tests.quota_fixtures import isolate_config, run_json

PREF = "tunectl-cli-tpu-v3-pod-cores-europe-west4"


@pytest.fixture
def quotas(cloud: Cloud) -> QuotasServer:
    return cloud.get(QuotasServer)


def _watch(cloud: Cloud, quotas_client: Any, timeout: float) -> Any:
    """One clock tick (a minute of server time) per poll interval."""
    return watch_with_progress(
        quotas_client,
        cloud.project,
        "tpu-v3-pod-cores",
        region=None,
        settings=cloud.settings(),
        timeout=timeout,
        interval=60,
        now=lambda: (cloud.clock.now() - EPOCH).total_seconds(),
        sleep=lambda _seconds: cloud.clock.tick(),
    )


def test_watch_ends_when_the_preference_is_granted(
    cloud: Cloud, quotas: QuotasServer, quotas_client: Any
) -> None:
    quotas.seed_preference(cloud.project, PREF, TPU_ID, "europe-west4", 64, reconciling=True)
    quotas.decide_after(PREF, ticks=3)
    result = _watch(cloud, quotas_client, timeout=3600)
    assert result.granted
    assert not result.timed_out
    assert result.polls == 4
    assert result.preference.granted_value == 64


def test_watch_gives_up_at_the_timeout_while_pending(
    cloud: Cloud, quotas: QuotasServer, quotas_client: Any
) -> None:
    quotas.seed_preference(cloud.project, PREF, TPU_ID, "europe-west4", 64, reconciling=True)
    result = _watch(cloud, quotas_client, timeout=300)
    assert result.timed_out
    assert not result.granted
    assert result.preference.status is PreferenceStatus.pending
    assert result.waited_seconds == 300


def test_watch_stops_on_a_partial_grant(cloud: Cloud, quotas: QuotasServer, quotas_client: Any) -> None:
    quotas.seed_preference(cloud.project, PREF, TPU_ID, "europe-west4", 64, reconciling=True)
    quotas.decide_after(PREF, ticks=1, granted=32)
    result = _watch(cloud, quotas_client, timeout=3600)
    assert (result.granted, result.timed_out) == (False, False)
    assert result.preference.status is PreferenceStatus.partly_granted


@pytest.mark.parametrize(
    ("granted", "reconciling", "status"), [(64, False, 0), (32, False, 1), (None, True, 1)]
)
def test_cli_exit_status_says_whether_it_was_granted(
    cloud: Cloud,
    quotas: QuotasServer,
    cloud_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    granted: int | None,
    reconciling: bool,
    status: int,
) -> None:
    isolate_config(monkeypatch, tmp_path)
    quotas.seed_preference(
        cloud.project, PREF, TPU_ID, "europe-west4", 64, granted=granted, reconciling=reconciling
    )
    code, data, _ = run_json(capsys, "quota", "watch", "tpu-v3-pod-cores", "--timeout", "0")
    assert code == status
    assert data["preference"]["preference_id"] == PREF


def test_watch_without_a_preference_says_how_to_request_one(
    cloud: Cloud,
    cloud_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate_config(monkeypatch, tmp_path)
    code, _, err = run_json(capsys, "quota", "watch", "a2-cpus", "--timeout", "0")
    assert code == 2
    assert "error[quota-preference-missing]" in err
    assert "tunectl quota request a2-cpus" in err


def test_a_grant_of_zero_is_not_granted_rather_than_partly(
    cloud: Cloud, quotas: QuotasServer, quotas_client: Any
) -> None:
    quotas.seed_preference(cloud.project, PREF, TPU_ID, "europe-west4", 64, reconciling=True)
    quotas.decide_after(PREF, ticks=1, granted=0)
    result = _watch(cloud, quotas_client, timeout=3600)
    assert (result.granted, result.timed_out) == (False, False)
    assert result.preference.status is PreferenceStatus.not_granted
