"""The pack config: Pulumi's `--policy-pack-config` format, checked offline like the engine does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policies.catalog import RULES, RULES_BY_ID
from policies.evaluate import evaluate
from policies.model import Enforcement
from policies.pack_config import (
    SCHEMA_PATH,
    STACK_CONFIG_DIR,
    PackConfig,
    PackConfigError,
    load_pack_config,
    parse_pack_config,
    schema_text,
)

PUBLIC_BUCKET = {
    "type": "gcp:storage/bucket:Bucket",
    "name": "open-bucket",
    "inputs": {
        "name": "p-open",
        "location": "US",
        "uniformBucketLevelAccess": True,
        "labels": {"team": "ml"},
    },
}


def test_defaults_apply_when_the_file_is_silent() -> None:
    rule = RULES_BY_ID["location-allowed-region"]
    enforcement, properties = PackConfig().settings_for(rule)
    assert enforcement is Enforcement.mandatory
    assert properties == {"allowedRegions": ["us-central1", "europe-west4", "US", "EU"]}


def test_file_properties_override_defaults_property_by_property() -> None:
    config = parse_pack_config({"labels-required": {"requiredLabels": ["team", "env"]}})
    _, properties = config.settings_for(RULES_BY_ID["labels-required"])
    assert properties == {"requiredLabels": ["team", "env"], "requiredScheduleLabels": ["tunectl-schedule"]}


def test_a_policy_level_beats_all_which_beats_the_rule_default() -> None:
    config = parse_pack_config(
        {"all": "advisory", "iam-no-primitive-roles": {"enforcementLevel": "mandatory"}}
    )
    assert config.settings_for(RULES_BY_ID["iam-no-primitive-roles"])[0] is Enforcement.mandatory
    assert config.settings_for(RULES_BY_ID["iam-no-public-members"])[0] is Enforcement.advisory


def test_a_disabled_policy_reports_nothing() -> None:
    assert [v.policy for v in evaluate([PUBLIC_BUCKET])].count("storage-bucket-public-access-prevention") == 1
    config = parse_pack_config({"storage-bucket-public-access-prevention": "disabled"})
    assert "storage-bucket-public-access-prevention" not in [
        v.policy for v in evaluate([PUBLIC_BUCKET], config)
    ]


def test_an_advisory_level_is_carried_into_the_violation() -> None:
    config = parse_pack_config({"storage-bucket-public-access-prevention": "advisory"})
    (violation,) = [v for v in evaluate([PUBLIC_BUCKET], config) if v.policy.endswith("access-prevention")]
    assert violation.enforcement is Enforcement.advisory


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"no-such-policy": "mandatory"}, "unknown policy 'no-such-policy'"),
        ({"storage-bucket-cmek": {"requireCMEK": True}}, "has no property 'requireCMEK'"),
        ({"storage-bucket-cmek": {"requireCmek": "yes"}}, "must be a JSON boolean"),
        ({"location-allowed-region": {"allowedRegions": "europe-west4"}}, "must be a JSON array"),
        ({"location-allowed-region": {"allowedRegions": [4]}}, "allowedRegions[0] must be a JSON string"),
        ({"quota-preference-within-ceiling": {"ceilings": {"*": -1}}}, "must be at least 0"),
        ({"storage-datasets-bucket-protected": {"minSoftDeleteDays": 3}}, "must be at least 7"),
        ({"iam-no-primitive-roles": "remediate"}, "not an enforcement level"),
        ({"all": {"enforcementLevel": "mandatory"}}, "not an enforcement level"),
        ([], "must be a JSON object"),
    ],
)
def test_a_bad_pack_config_names_what_is_wrong(data: object, fragment: str) -> None:
    with pytest.raises(PackConfigError) as caught:
        parse_pack_config(data, source=Path("pack.json"))
    assert fragment in caught.value.message
    assert caught.value.where.startswith("pack.json") and caught.value.hint


def test_a_file_that_is_not_json_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    path.write_text("{policies: yes}")
    with pytest.raises(PackConfigError, match="not valid JSON"):
        load_pack_config(path)


@pytest.mark.parametrize("path", sorted(STACK_CONFIG_DIR.glob("*.json")), ids=lambda p: p.name)
def test_checked_in_stack_pack_configs_are_valid(path: Path) -> None:
    config = load_pack_config(path)
    assert config.policies, f"{path} configures nothing"


def test_stack_pack_configs_match_their_stacks_residency_and_region() -> None:
    import yaml

    root = STACK_CONFIG_DIR.parent.parent
    for path in sorted(STACK_CONFIG_DIR.glob("*.json")):
        stack = yaml.safe_load((root / f"Pulumi.{path.stem}.yaml").read_text())["config"]
        config = load_pack_config(path)
        _, residency = config.settings_for(RULES_BY_ID["location-eu-residency"])
        _, regions = config.settings_for(RULES_BY_ID["location-allowed-region"])
        assert residency["euResidency"] == (stack.get("tunectl:dataResidency") == "eu"), path.name
        assert stack["tunectl:region"] in regions["allowedRegions"], path.name


def test_the_schema_file_is_current() -> None:
    regenerate = (
        '.venv/bin/python -c "from policies.pack_config import SCHEMA_PATH, schema_text; '
        'SCHEMA_PATH.write_text(schema_text())"'
    )
    assert SCHEMA_PATH.read_text() == schema_text(), (
        f"policies/config.schema.json is stale; run: {regenerate}"
    )
    schema = json.loads(schema_text())
    assert set(schema["properties"]) == {"all", *(rule.id for rule in RULES)}
