"""The pack over the real program's offline plans: the example stacks pass, a broken one fails
with exactly the expected policies, and `tunectl infra plan` reports and exits accordingly."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest

from infra.offline import plan_stack
from ops.cli import run
from ops.preflight.policy import check_plan
from policies import type_tokens as t
from policies.props import decode_json_body
from policies.rules.location import locations_of
from tests.infra_fixtures import example_plan, realistic_quota_infos
from tests.policy_fixtures import BROKEN_TPU_VIOLATIONS, broken_tpu_plan

ROOT = Path(__file__).resolve().parent.parent
UNGUARDED = "policies/examples/Pulumi.unguarded.yaml"


@pytest.mark.parametrize("stack", ["gpu", "tpu"])
def test_example_stack_passes_every_policy(stack: str) -> None:
    assert check_plan(stack, example_plan(stack)) == []


@pytest.mark.parametrize("stack", ["gpu", "tpu"])
def test_example_stack_gives_every_rule_something_to_check(stack: str) -> None:
    """Guards against a vacuous pass: the plan holds every resource type the rules govern."""
    types = {resource["type"] for resource in example_plan(stack)}
    governed = {t.BUCKET, t.SCHEDULER_JOB, t.QUOTA_PREFERENCE, t.BUDGET, t.BIGQUERY_DATASET}
    assert governed | {"gcp:serviceaccount/iAMMember:IAMMember"} <= types


@pytest.mark.parametrize("stack", ["gpu", "tpu"])
def test_quota_ids_resolved_from_a_real_project_stay_within_the_ceilings(stack: str) -> None:
    resources = plan_stack(stack, quota_infos=realistic_quota_infos(f"tunectl-{stack}-example"))
    assert check_plan(stack, resources) == []


def test_broken_tpu_stack_fails_with_exactly_the_expected_policies() -> None:
    found = {(v["policy"], v["resource"]) for v in check_plan("tpu", broken_tpu_plan())}
    assert found == BROKEN_TPU_VIOLATIONS


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(__import__("os").environ):
        if name.startswith(("TUNECTL_", "GOOGLE_CLOUD_PROJECT")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TUNECTL_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.chdir(ROOT)
    return tmp_path


def test_infra_plan_lists_violations_and_exits_1_on_a_mandatory_one(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run(["infra", "plan", "--stack", UNGUARDED, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 1
    assert report["stack"] == "unguarded"
    assert {v["policy"] for v in report["violations"]} == {
        "quota-preference-within-ceiling",
        "labels-required",
        "stack-has-budget",
    }
    for violation in report["violations"]:
        assert set(violation) == {"policy", "resource", "message", "severity", "enforcement"}
        assert violation["enforcement"] == "mandatory"
    (budget,) = [v for v in report["violations"] if v["policy"] == "stack-has-budget"]
    assert budget["resource"] is None  # the stack as a whole is at fault


def test_infra_plan_uses_the_policy_config_setting_and_advisory_findings_pass(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pack_config = cli_env / "pack.json"
    pack_config.write_text(json.dumps({"all": "advisory"}))
    monkeypatch.setenv("TUNECTL_POLICY_CONFIG", str(pack_config))
    status = run(["infra", "plan", "--stack", UNGUARDED, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["violations"] and {v["enforcement"] for v in report["violations"]} == {"advisory"}


def test_infra_plan_rejects_a_bad_pack_config_with_status_2(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pack_config = cli_env / "pack.json"
    pack_config.write_text(json.dumps({"storage-bucket-cmek": {"requireCmek": "yes"}}))
    monkeypatch.setenv("TUNECTL_POLICY_CONFIG", str(pack_config))
    status = run(["infra", "plan", "--stack", "tpu"])
    err = capsys.readouterr().err
    assert status == 2
    assert "error[policy-config-invalid]" in err and "requireCmek" in err


@pytest.mark.parametrize(("stack", "region"), [("gpu", "us-central1"), ("tpu", "europe-west4")])
def test_example_rlhf_schedules_report_where_they_train(stack: str, region: str) -> None:
    """Guards the accelerator check against a vacuous pass: the bodies carry `accelerator_type`."""
    jobs = [r for r in example_plan(stack) if r["type"] == t.SCHEDULER_JOB]
    trained = [
        location
        for job in jobs
        for path, location in locations_of(job["type"], job["inputs"])
        if path.endswith("parameterValues.accelerator_type")
    ]
    assert trained == [region]


def test_an_eu_stack_scheduling_gpu_rlhf_fails_residency_and_regions() -> None:
    """GPU RLHF trains in us-central1 even when the pipeline's `location` is europe-west4."""
    resources = copy.deepcopy(example_plan("tpu"))
    for resource in resources:
        target = resource["inputs"].get("httpTarget") if resource["type"] == t.SCHEDULER_JOB else None
        body = decode_json_body(target["body"]) if target else {}
        params = body.get("runtimeConfig", {}).get("parameterValues", {})
        if "accelerator_type" in params:
            params["accelerator_type"] = "GPU"
            target["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    found = {(v["policy"], v["resource"]) for v in check_plan("tpu", resources)}
    assert found == {
        ("location-eu-residency", "schedule-nightly-rlhf"),
        ("location-allowed-region", "schedule-nightly-rlhf"),
    }
