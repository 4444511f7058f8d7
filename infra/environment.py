"""`TuningEnvironment`: everything one tuning environment needs, as one component.

The component takes the validated `EnvironmentConfig` as its args and never reads Pulumi config
itself. Children are created from maps keyed by stable names (APIs, accounts, quotas, schedules), so
adding one entry never renames another resource.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra import (
    billing_export,
    budget,
    identity,
    quotas,
    registry,
    reward_service,
    schedules,
    services,
    storage,
)
from infra.config import EnvironmentConfig

TYPE_TOKEN = "tunectl:infra:TuningEnvironment"


class TuningEnvironment(pulumi.ComponentResource):
    """Args: the validated config. `outputs` holds what the program exports (see infra/README.md)."""

    def __init__(
        self,
        name: str,
        args: EnvironmentConfig,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        config = args
        apis = services.enable_services(config.project, parent=self, with_kms=bool(config.kms_key_name))
        after_apis: list[pulumi.Resource] = list(apis.values())

        def bucket_spec(bucket_name: str) -> storage.BucketSpec:
            return storage.BucketSpec(
                name=bucket_name,
                location=config.bucket_location,
                labels=config.labels,
                kms_key_name=config.kms_key_name,
                project=config.project,
            )

        self.datasets = storage.datasets_bucket(
            bucket_spec(config.datasets_bucket_name),
            soft_delete_days=config.dataset_soft_delete_days,
            parent=self,
            depends_on=after_apis,
        )
        self.pipelines = storage.pipelines_bucket(
            bucket_spec(config.pipelines_bucket_name),
            retention_days=config.artifact_retention_days,
            parent=self,
            depends_on=after_apis,
        )
        self.billing_dataset = billing_export.billing_dataset(config, parent=self, depends_on=after_apis)
        self.template_repository = registry.template_repository(config, parent=self, depends_on=after_apis)

        self.accounts = identity.service_accounts(
            config.project, config.resource_prefix, parent=self, depends_on=after_apis
        )
        identity.grant_roles(
            config.project,
            self.accounts,
            datasets_bucket=self.datasets,
            pipelines_bucket=self.pipelines,
            billing_dataset=self.billing_dataset,
            template_repository=self.template_repository,
            parent=self,
        )

        quota_ids = quotas.resolve_quota_ids(config)
        self.quota_preferences = quotas.quota_preferences(
            config, quota_ids, parent=self, depends_on=after_apis
        )

        self.schedules = schedules.scheduled_jobs(
            config,
            caller=self.accounts["scheduler"],
            runner=self.accounts["tuning"],
            parent=self,
            depends_on=after_apis,
        )

        project_number = gcp.organizations.get_project(project_id=config.project).number
        self.budget = budget.project_budget(config, project_number, parent=self, depends_on=after_apis)
        self.reward_invoker = reward_service.reward_invoker(config, project_number, parent=self)

        self.outputs: dict[str, pulumi.Input[object]] = {
            # Names match what `tunectl` reads from `pulumi stack output --json` (ops/tuning/stack.py).
            "project": config.project,
            "region": config.region,
            "datasets_bucket": self.datasets.name.apply(lambda n: f"gs://{n}"),
            "pipelines_bucket": self.pipelines.name.apply(lambda n: f"gs://{n}"),
            "pipeline_root": self.pipelines.name.apply(lambda n: f"gs://{n}/pipeline-root"),
            "tuning_service_account": self.accounts["tuning"].email,
            "scheduler_service_account": self.accounts["scheduler"].email,
            "reporting_service_account": self.accounts["reporting"].email,
            "quota_preferences": {key: pref.name for key, pref in self.quota_preferences.items()},
            "schedules": {key: job.name for key, job in self.schedules.items()},
            "billing_dataset": self.billing_dataset.dataset_id.apply(lambda d: f"{config.project}.{d}"),
            "kms_key": config.kms_key_name or None,
            # The Template Registry host the RLHF template is uploaded to (infra.rlhf_template --upload).
            "template_registry": pulumi.Output.all(
                self.template_repository.location, self.template_repository.repository_id
            ).apply(lambda a: f"https://{a[0]}-kfp.pkg.dev/{config.project}/{a[1]}"),
        }
        self.register_outputs(self.outputs)
