"""What `pulumi destroy` keeps on purpose, and the `pulumi import --file` JSON that adopts it again."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.kept import COMPONENT_TYPE, import_file, kept_resources, main
from tests.infra_fixtures import example_plan

# The import id formats pulumi-gcp 10.2 documents per resource (bucket: `project/name`).
ID_FORMATS = {
    "gcp:storage/bucket:Bucket": r"[a-z0-9-]+/[a-z0-9._-]+",
    "gcp:bigquery/dataset:Dataset": r"projects/[a-z0-9-]+/datasets/\w+",
    "gcp:cloudquota/sQuotaPreference:SQuotaPreference": (
        r"projects/[a-z0-9-]+/locations/global/quotaPreferences/[a-z0-9-]+"
    ),
}


@pytest.mark.parametrize("stack", ["gpu", "tpu"])
def test_the_protected_buckets_datasets_and_every_quota_preference_are_kept(stack: str) -> None:
    plan = example_plan(stack)
    kept = {(r["type"], r["name"]) for r in kept_resources(plan)}
    protected = {(r["type"], r["name"]) for r in plan if r["inputs"].get("deletionPolicy") == "PREVENT"}
    quota_preferences = {(r["type"], r["name"]) for r in plan if r["type"].startswith("gcp:cloudquota/")}
    assert ("gcp:storage/bucket:Bucket", "datasets-bucket") in protected
    assert ("gcp:bigquery/dataset:Dataset", "billing-dataset") in protected
    assert quota_preferences
    assert kept == protected | quota_preferences


def test_import_ids_follow_the_providers_documented_formats() -> None:
    plan = example_plan("gpu")
    for resource in kept_resources(plan):
        assert re.fullmatch(ID_FORMATS[resource["type"]], resource["id"]), resource
    ids = {r["name"]: r["id"] for r in kept_resources(plan)}
    assert ids["datasets-bucket"] == "tunectl-gpu-example/tunectl-gpu-example-tunectl-datasets"
    assert ids["billing-dataset"] == "projects/tunectl-gpu-example/datasets/billing_export"


def test_a_new_stack_imports_the_component_then_everything_kept_under_it() -> None:
    plan = example_plan("gpu")
    resources = import_file(plan)["resources"]
    assert resources[0] == {"type": COMPONENT_TYPE, "name": "tunectl", "component": True}
    assert {r["parent"] for r in resources[1:]} == {"tunectl"}
    assert len(resources) == 1 + len(kept_resources(plan))


def test_after_destroy_only_the_quota_preferences_are_imported_under_the_kept_component() -> None:
    document = import_file(example_plan("tpu"), after_destroy=True)
    # The engine's URN for a top-level component leaves out the root stack's type.
    assert document["nameTable"] == {
        "tunectl": "urn:pulumi:tpu::tunectl::tunectl:infra:TuningEnvironment::tunectl"
    }
    assert [r["type"] for r in document["resources"]] == ["gcp:cloudquota/sQuotaPreference:SQuotaPreference"]


def test_the_command_writes_the_file_and_refuses_a_missing_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "import.json"
    assert main(["--stack", "gpu", "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == import_file(example_plan("gpu"))
    assert main(["--stack", str(tmp_path / "Pulumi.none.yaml")]) == 2
    assert "error[infra-stack-not-found]" in capsys.readouterr().err
