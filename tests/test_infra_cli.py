"""`tunectl infra plan` prints the offline inventory; Pulumi.yaml and infra/README.md match the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from infra.config import STRUCTURED_KEYS, EnvironmentConfig, config_keys
from infra.identity import GRANTS
from infra.offline import plan_stack
from ops.cli import run

ROOT = Path(__file__).resolve().parent.parent


def test_plan_json_has_the_stack_resources_and_violations(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["infra", "plan", "--stack", "tpu", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"stack", "resources", "violations"}
    assert report["stack"] == "tpu"
    assert report["violations"] == []
    bucket = next(r for r in report["resources"] if r["name"] == "datasets-bucket")
    assert bucket["type"] == "gcp:storage/bucket:Bucket"
    assert bucket["inputs"]["uniformBucketLevelAccess"] is True  # camelCase, as the engine sees it


def test_plan_text_lists_every_resource_by_type(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["infra", "plan", "--stack", "gpu"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stack gpu: 28 resources")
    assert "gcp:cloudscheduler/job:Job\n  schedule-monthly-rlhf  region=us-central1" in out


def test_plan_accepts_a_stack_file_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["infra", "plan", "--stack", str(ROOT / "Pulumi.gpu.yaml"), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["stack"] == "gpu"


def test_a_missing_stack_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["infra", "plan", "--stack", "staging"]) == 2
    assert "error[infra-stack-not-found]" in capsys.readouterr().err


def test_two_plans_in_one_process_are_identical_and_independent() -> None:
    first = plan_stack("gpu")
    assert plan_stack("tpu") != first
    assert plan_stack("gpu") == first


def test_pulumi_yaml_declares_every_scalar_key_with_the_code_default() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "tunectl"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    assert project["main"] == "infra/"
    declared = project["config"]
    assert set(declared) == set(config_keys()) - (STRUCTURED_KEYS - {"budgetAlertPercents"})
    fields = {field.alias: field for field in EnvironmentConfig.model_fields.values()}
    for key, schema in declared.items():
        assert schema["description"], key
        if "default" in schema:
            default = fields[key].default
            assert schema["default"] == (list(default) if isinstance(default, tuple) else default), key
        else:
            assert fields[key].is_required(), f"{key}: Pulumi.yaml has no default but the code has one"


def test_readme_roles_table_lists_every_grant_with_its_reason() -> None:
    readme = (ROOT / "infra" / "README.md").read_text()
    rows = re.findall(r"^\| (\w+) \| `(roles/[\w.]+)` \| ([^|]+) \| ([^|]+) \|$", readme, re.M)
    assert [(a, r, s.strip(), w.strip()) for a, r, s, w in rows] == [
        (g.account, g.role, g.scope, g.why) for g in GRANTS
    ]


def test_readme_rlhf_template_command_compiles_the_pipeline(tmp_path: Path) -> None:
    readme = (ROOT / "infra" / "README.md").read_text()
    assert ".venv/bin/python -m infra.rlhf_template out/rlhf_pipeline.yaml" in readme
    from infra.rlhf_template import main

    target = tmp_path / "rlhf_pipeline.yaml"
    assert main([str(target)]) == 0
    spec = yaml.safe_load(target.read_text())
    assert "prompt_dataset" in spec["root"]["inputDefinitions"]["parameters"]
