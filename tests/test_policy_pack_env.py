"""The pack in its own environment (.venv-policy: pulumi-policy + protobuf 5), driven the way the
Pulumi engine drives it, without starting the analyzer's server (tests/policy_pack_probe.py)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ops.preflight.policy import check_plan
from policies.catalog import RULES
from policies.pack_config import stack_config_path
from tests.infra_fixtures import example_plan
from tests.policy_fixtures import BROKEN_TPU_VIOLATIONS, broken_tpu_plan

ROOT = Path(__file__).resolve().parent.parent
POLICY_ENV = ROOT / ".venv-policy"
REQUIREMENTS = ROOT / "policies" / "requirements.txt"


def _config(stack: str) -> dict[str, Any]:
    path = stack_config_path(stack)
    return json.loads(path.read_text()) if path else {}


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    """One run of the policy environment for every case here (its start-up costs about a second)."""
    python = POLICY_ENV / "bin" / "python"
    if not python.exists():
        pytest.fail("the policy pack environment is missing: run `python3 dev env`")
    cases = {"tpu": example_plan("tpu"), "broken-tpu": broken_tpu_plan()}
    result = subprocess.run(
        [str(python), str(ROOT / "tests" / "policy_pack_probe.py")],
        input=json.dumps(
            [{"config": _config("tpu"), "resources": resources} for resources in cases.values()]
        ),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(zip(cases, json.loads(result.stdout), strict=True))


def test_policy_env_holds_the_versions_its_requirements_pin(probe: dict[str, Any]) -> None:
    pins = dict(re.findall(r"^([a-z0-9-]+)==(\S+)", REQUIREMENTS.read_text(), re.M))
    installed = probe["tpu"]["versions"]
    assert installed == {name: pins[name] for name in installed}, "run `python3 dev env`"
    assert installed["protobuf"].startswith("5."), "pulumi-policy needs protobuf 5"


def test_pack_env_builds_every_policy_and_passes_the_tpu_stack(probe: dict[str, Any]) -> None:
    report = probe["tpu"]

    by_name = {policy["name"]: policy for policy in report["analyzer_policies"]}
    assert list(by_name) == [rule.id for rule in RULES]
    for rule in RULES:
        policy = by_name[rule.id]
        assert policy["enforcementLevel"] == rule.enforcement.value.upper()
        assert policy["severity"] == f"POLICY_SEVERITY_{rule.severity.value.upper()}"
        assert set(policy.get("configSchema", {}).get("properties", {})) == set(rule.config)
    assert report["violations"] == []


def test_live_pack_and_offline_plan_agree_on_a_broken_stack(probe: dict[str, Any]) -> None:
    live = {(v["policy"], v["resource"], v["enforcement"]) for v in probe["broken-tpu"]["violations"]}
    offline = {(v["policy"], v["resource"], v["enforcement"]) for v in check_plan("tpu", broken_tpu_plan())}
    assert live == offline
    assert {(policy, resource) for policy, resource, _ in live} == BROKEN_TPU_VIOLATIONS
