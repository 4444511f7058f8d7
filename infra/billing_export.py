"""The BigQuery dataset that Cloud Billing exports into (the export itself is one console step)."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.config import EnvironmentConfig


def billing_dataset(
    config: EnvironmentConfig, *, parent: pulumi.Resource, depends_on: list[pulumi.Resource]
) -> gcp.bigquery.Dataset:
    """Protected: the export does not backfill everything, so lost history cannot be rebuilt.

    No CMEK here: the dataset sits in a multi-region (EU/US) by default, and a BigQuery key must live
    in the dataset's own location, which the stack's regional key does not.
    """
    return gcp.bigquery.Dataset(
        "billing-dataset",
        project=config.project,
        dataset_id=config.billing_dataset_id,
        friendly_name="Cloud Billing export",
        description="Cloud Billing export (standard and detailed usage cost) read by tunectl cost reports",
        location=config.dataset_location,
        labels=dict(config.labels),
        delete_contents_on_destroy=False,
        deletion_policy="PREVENT",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on, protect=True),
    )
