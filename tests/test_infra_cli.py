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
    assert out.startswith("stack gpu: 31 resources")
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
    readme = (ROOT / "README.md").read_text()  # the go-live guide
    assert ".venv/bin/python -m infra.rlhf_template out/rlhf_pipeline.yaml" in readme
    from infra.rlhf_template import main

    target = tmp_path / "rlhf_pipeline.yaml"
    assert main([str(target)]) == 0
    spec = yaml.safe_load(target.read_text())
    assert "prompt_dataset" in spec["root"]["inputDefinitions"]["parameters"]


def test_rlhf_template_upload_option_takes_only_a_template_registry_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from infra.rlhf_template import parse_args

    url = "https://us-central1-kfp.pkg.dev/tunectl-gpu-example/tunectl-pipelines"
    args = parse_args(["out/rlhf_pipeline.yaml", "--upload", url + "/"])
    assert (args.output, args.upload) == (Path("out/rlhf_pipeline.yaml"), url)
    assert parse_args(["out/rlhf_pipeline.yaml"]).upload is None
    for bad in ["gs://bucket/templates", "https://us-central1-docker.pkg.dev/p/r", url + "/rlhf-pipeline"]:
        with pytest.raises(SystemExit):
            parse_args(["out/t.yaml", "--upload", bad])
        assert "Template Registry" in capsys.readouterr().err


def test_rlhf_template_upload_uses_the_registry_client_with_the_latest_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import kfp.registry

    from infra import rlhf_template

    calls: list[tuple[str, str, list[str]]] = []

    class FakeClient:
        def __init__(self, host: str) -> None:
            self.host = host

        def upload_pipeline(self, file_name: str, tags: list[str]) -> tuple[str, str]:
            calls.append((self.host, file_name, tags))
            return "rlhf-pipeline", "sha256:abc"

    monkeypatch.setattr(kfp.registry, "RegistryClient", FakeClient)
    url = "https://europe-west4-kfp.pkg.dev/tunectl-tpu-example/tunectl-pipelines"
    target = tmp_path / "rlhf_pipeline.yaml"
    assert rlhf_template.main([str(target), "--upload", url]) == 0
    assert calls == [(url, str(target), ["latest"])]
    assert f"{url}/rlhf-pipeline/latest -> sha256:abc" in capsys.readouterr().out
    # The registry names the package after pipelineInfo.name: it must be what the schedules run.
    assert yaml.safe_load(target.read_text())["pipelineInfo"]["name"] == "rlhf-pipeline"


def test_readme_documents_the_template_upload() -> None:
    guide = (ROOT / "README.md").read_text()
    assert "python -m infra.rlhf_template out/rlhf_pipeline.yaml --upload" in guide
    readme = (ROOT / "infra" / "README.md").read_text()
    assert "gs://" not in readme.split("templateUri", 1)[1].split("\n", 1)[0]
