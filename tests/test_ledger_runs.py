"""The run ledger: versioned schema, exact money, transactional writes, merge that keeps local facts."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from ops.errors import TunectlError
from ops.ledger import SCHEMA_VERSION, Ledger, RunRecord


def _record(**changes: object) -> RunRecord:
    base = RunRecord(
        run_id="gem-0123456789abcdef",
        engine="gemini",
        method="supervised",
        base_model="gemini-2.5-flash",
        region="us-central1",
        datasets=[{"role": "train", "uri": "gs://b/datasets/sha256/aa.jsonl", "sha256": "aa"}],
        parameters={"hyperparameters": {"epochs": 3}},
        labels={"tunectl-run-id": "gem-0123456789abcdef"},
        estimate_amount=Decimal("12.345678901"),
        estimate_currency="USD",
        price_table_id="prices-2026-11-27",
        job_name="projects/p/locations/us-central1/tuningJobs/1",
        state="QUEUED",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_new_ledger_has_the_current_schema_version(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.schema_version() == SCHEMA_VERSION


def test_record_round_trips_with_exact_money(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record(_record())
    with Ledger(tmp_path / "l.sqlite") as ledger:
        (run,) = ledger.runs()
    assert run.estimate_amount == Decimal("12.345678901")
    assert run.datasets[0]["sha256"] == "aa" and run.labels["tunectl-run-id"] == run.run_id
    assert run.recorded_at


def test_merge_from_the_api_keeps_what_only_the_ledger_knows(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record(_record(billing_ids=["111"]))
        observed = RunRecord(
            run_id="gem-0123456789abcdef",
            engine="gemini",
            state="SUCCEEDED",
            tuned_model="projects/p/locations/us-central1/models/9@1",
            billing_ids=["222"],
            source="sync",
        )
        merged = ledger.merge(observed)
    assert merged.state == "SUCCEEDED" and merged.tuned_model.endswith("models/9@1")  # type: ignore[union-attr]
    assert merged.estimate_amount == Decimal("12.345678901") and merged.price_table_id == "prices-2026-11-27"
    assert merged.billing_ids == ["111", "222"]
    assert merged.source == "launch"


def test_a_failed_write_leaves_the_previous_state(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record(_record())
        with pytest.raises(TypeError):
            ledger.merge(_record(state="RUNNING", parameters={"bad": object()}))
        assert ledger.get("gem-0123456789abcdef").state == "QUEUED"  # type: ignore[union-attr]


def test_find_by_prefix_or_job_name_and_refuse_ambiguity(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record(_record())
        ledger.record(_record(run_id="gem-0123ffffffffffff", job_name="projects/p/locations/x/tuningJobs/2"))
        assert ledger.find("gem-01234567").run_id == "gem-0123456789abcdef"  # type: ignore[union-attr]
        assert ledger.find("projects/p/locations/x/tuningJobs/2").run_id == "gem-0123ffffffffffff"  # type: ignore[union-attr]
        assert ledger.find("rlhf-") is None
        with pytest.raises(TunectlError) as caught:
            ledger.find("gem-0123")
        assert caught.value.code == "run-ambiguous"


def test_a_ledger_from_a_newer_tunectl_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(TunectlError) as caught:
        Ledger(path)
    assert caught.value.code == "ledger-too-new"


def test_a_corrupt_ledger_is_a_diagnostic_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(TunectlError) as caught:
        Ledger(path)
    assert caught.value.code == "ledger-unreadable" and "tune sync" in (caught.value.hint or "")


def test_a_version_1_ledger_gains_the_schedule_column_and_keeps_its_runs(tmp_path: Path) -> None:
    from ops.ledger import MIGRATIONS

    path = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute(
        "INSERT INTO runs (run_id, engine, recorded_at, source) VALUES ('gem-1', 'gemini', 'now', 'launch')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Ledger(path) as ledger:
        assert ledger.schema_version() == SCHEMA_VERSION
        old = ledger.get("gem-1")
        assert old is not None and old.schedule is None
        ledger.record(RunRecord(run_id="nightly-20260105t030001z", engine="gemini", schedule="nightly"))
        scheduled = ledger.get("nightly-20260105t030001z")
        assert scheduled is not None and scheduled.schedule == "nightly"


def test_a_migration_another_tunectl_applied_while_we_waited_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()  # the other tunectl created and migrated the file while we waited for its lock
    real = Ledger.schema_version
    stale = [0]  # our first read happened before that, on the empty file

    def version(self: Ledger) -> int:
        return stale.pop() if stale else real(self)

    monkeypatch.setattr(Ledger, "schema_version", version)
    with Ledger(path) as ledger:
        assert real(ledger) == SCHEMA_VERSION
