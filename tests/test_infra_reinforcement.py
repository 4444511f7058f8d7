"""A reinforcement tuning schedule in the stack: a v1beta1 TuningJob posted to the v1beta1 URL, its
reward from the reward file, and the Cloud Run reward service that only Vertex AI may invoke."""

from __future__ import annotations

from typing import Any

import pytest

from infra.offline import plan_stack
from ops.errors import TunectlError
from ops.schedules.schema import body_problems
from policies.evaluate import evaluate
from policies.pack_config import STACK_CONFIG_DIR, load_pack_config
from tests.infra_fixtures import decoded_body, example_plan, of_type

INVOKER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
REWARD = {"project": "tunectl-gpu-example", "region": "us-central1", "service": "arithmetic-reward"}


def _rl_job(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return next(
        j for j in of_type(resources, "gcp:cloudscheduler/job:Job") if j["name"] == "schedule-weekly-rl"
    )


def _schedule(**changes: Any) -> dict[str, Any]:
    import yaml

    from tests.tune_fixtures import ROOT

    config = yaml.safe_load((ROOT / "Pulumi.gpu.yaml").read_text())["config"]
    schedules = config["tunectl:schedules"]
    schedules["weekly-rl"] = {**schedules["weekly-rl"], **changes}
    return {k: v for k, v in schedules["weekly-rl"].items() if v is not None}


def _refusal(overrides: dict[str, Any]) -> TunectlError:
    with pytest.raises(TunectlError) as caught:
        plan_stack("gpu", overrides)
    assert caught.value.code == "infra-config-invalid"
    return caught.value


def test_the_reinforcement_schedule_posts_a_valid_v1beta1_body_to_the_v1beta1_url() -> None:
    job = _rl_job(example_plan("gpu"))
    target = job["inputs"]["httpTarget"]
    assert target["uri"] == (
        "https://us-central1-aiplatform.googleapis.com/v1beta1/projects/tunectl-gpu-example"
        "/locations/us-central1/tuningJobs"
    )
    body = decoded_body(job)
    assert body_problems("gemini", body, "v1beta1") == []
    assert "body.reinforcementTuningSpec: unknown field" in body_problems("gemini", body, "v1")
    spec = body["reinforcementTuningSpec"]
    assert spec["trainingDatasetUri"] == "gs://tunectl-gpu-example-tunectl-datasets/arithmetic/train.jsonl"
    assert spec["singleRewardConfig"]["rewardName"] == "exact_answer"  # the reward file, as written
    assert spec["hyperParameters"] == {
        "epochCount": "2",
        "batchSize": 8,
        "samplesPerPrompt": 4,
        "thinkingLevel": "MINIMAL",
        "maxOutputTokens": 1024,
    }
    assert job["inputs"]["paused"] is True and job["inputs"]["retryConfig"] == {"retryCount": 0}


def test_under_eu_residency_a_reinforcement_schedule_is_refused() -> None:
    error = _refusal(
        {
            "region": "europe-west4",
            "dataResidency": "eu",
            "quotas": {},
            "schedules": {"weekly-rl": _schedule()},
        }
    )
    assert error.where and error.where.endswith("tunectl:schedules.weekly-rl.method")
    assert "served from the `us` multi-region" in error.message


@pytest.mark.parametrize(
    ("changes", "key", "says"),
    [
        ({"rewardConfig": None}, "schedules.weekly-rl", "needs rewardConfig"),
        ({"rewardConfig": "samples/nothing-here.yaml"}, "schedules.weekly-rl.rewardConfig", "nothing-here"),
        ({"thinkingLevel": None, "thinkingBudget": 1024}, "schedules.weekly-rl.thinkingBudget", "level"),
        ({"steps": 10}, "schedules.weekly-rl", "epochs or steps"),
        ({"method": "supervised"}, "schedules.weekly-rl", "apply only to method: reinforcement"),
    ],
)
def test_a_reinforcement_schedule_the_service_would_reject_is_refused(
    changes: dict[str, Any], key: str, says: str
) -> None:
    error = _refusal({"schedules": {"weekly-rl": _schedule(**changes)}})
    assert error.where and error.where.endswith(f"tunectl:{key}"), error.where
    assert says in error.message or says in (error.hint or ""), error.message


def test_the_reward_service_is_invokable_by_the_tuning_agent_only() -> None:
    resources = plan_stack("gpu", {"rewardService": REWARD})
    (grant,) = of_type(resources, INVOKER)
    inputs = grant["inputs"]
    assert (inputs["project"], inputs["location"], inputs["name"]) == (
        "tunectl-gpu-example",
        "us-central1",
        "arithmetic-reward",
    )
    assert inputs["role"] == "roles/run.invoker"
    assert inputs["member"].startswith("serviceAccount:service-")
    assert inputs["member"].endswith("@gcp-sa-vertex-tune.iam.gserviceaccount.com")
    violations = evaluate(resources, load_pack_config(STACK_CONFIG_DIR / "gpu.json"))
    assert [v for v in violations if "reward" in v.policy or "cloud-run" in v.policy] == []
    assert not of_type(example_plan("gpu"), INVOKER)  # no reward service configured, no grant


def test_the_pack_refuses_a_reward_service_outside_the_stacks_project() -> None:
    resources = plan_stack("gpu", {"rewardService": {**REWARD, "project": "someone-elses-project"}})
    violations = evaluate(resources, load_pack_config(STACK_CONFIG_DIR / "gpu.json"))
    found = [v for v in violations if v.policy == "cloud-run-reward-service-in-stack"]
    assert len(found) == 1 and "someone-elses-project" in found[0].message


def test_a_reinforcement_schedule_outside_its_documented_region_is_refused() -> None:
    error = _refusal({"region": "us-east4", "quotas": {}, "schedules": {"weekly-rl": _schedule()}})
    assert error.where and error.where.endswith("tunectl:schedules.weekly-rl.method")
    assert (
        "runs in us-central1 only, not us-east4" in error.message and "region-not-supported" in error.message
    )
