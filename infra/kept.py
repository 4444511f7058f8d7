"""What `pulumi destroy` leaves on Google Cloud on purpose, and the `pulumi import` file that adopts
it into a rebuilt stack instead of failing with 409 (already exists).

Kept on purpose: the datasets bucket and the billing-export dataset (Pulumi `protect` plus the
provider's `deletionPolicy: PREVENT`: training data and billing history are the expensive things to
lose), and the quota preferences (the Cloud Quotas API has no delete). APIs stay enabled too
(`disableOnDestroy: false`), but enabling an enabled API succeeds, so they need no import.

`pulumi destroy --exclude-protected` keeps the two protected resources (and their component) in the
stack, but the quota preferences leave it while they stay on Google: the same stack's next `pulumi up`
needs only those imported (`--after-destroy`). A new stack, or one whose protected resources were let
go with `pulumi state delete`, needs everything kept imported, under a new component:

    python -m infra.kept --stack Pulumi.prod.yaml -o import.json
    pulumi import --file import.json --generate-code=false

The file is Pulumi's bulk-import format (https://www.pulumi.com/docs/iac/adopting-pulumi/import/,
read 2026-12-02): the `TuningEnvironment` component (`"component": true`, no id) or, when it is
still in the stack, its URN in `nameTable`; then each kept resource with its parent, logical name
and import id. Import ids are those pulumi-gcp 10.2 documents
in each resource's "Import" section (and, for buckets, the `project/name` form Google's Terraform
import guide gives: https://cloud.google.com/docs/terraform/resource-management/import, read
2026-12-02).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ops.errors import TunectlError, needs_extra

COMPONENT_TYPE = "tunectl:infra:TuningEnvironment"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
PREVENT = "PREVENT"


def _bucket_id(inputs: Mapping[str, Any]) -> str:
    return f"{inputs['project']}/{inputs['name']}"


def _dataset_id(inputs: Mapping[str, Any]) -> str:
    return f"projects/{inputs['project']}/datasets/{inputs['datasetId']}"


def _quota_preference_id(inputs: Mapping[str, Any]) -> str:
    return f"{inputs['parent']}/locations/global/quotaPreferences/{inputs['name']}"


# type token -> (kept when, import id)
_KEPT: dict[str, tuple[Callable[[Mapping[str, Any]], bool], Callable[[Mapping[str, Any]], str]]] = {
    "gcp:storage/bucket:Bucket": (lambda inputs: inputs.get("deletionPolicy") == PREVENT, _bucket_id),
    "gcp:bigquery/dataset:Dataset": (lambda inputs: inputs.get("deletionPolicy") == PREVENT, _dataset_id),
    "gcp:cloudquota/sQuotaPreference:SQuotaPreference": (lambda _inputs: True, _quota_preference_id),
}


def kept_resources(resources: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """`{"type", "name", "id"}` for each planned resource that outlives `pulumi destroy`."""
    kept = []
    for resource in resources:
        rule = _KEPT.get(resource["type"])
        if rule and rule[0](resource["inputs"]):
            kept.append(
                {"type": resource["type"], "name": resource["name"], "id": rule[1](resource["inputs"])}
            )
    return kept


def import_file(resources: Sequence[Mapping[str, Any]], *, after_destroy: bool = False) -> dict[str, Any]:
    """The bulk-import file for a planned stack. `after_destroy`: the stack still holds the component
    and the protected resources (`pulumi destroy --exclude-protected`), so only the rest is imported."""
    component = next(r for r in resources if r["type"] == COMPONENT_TYPE)
    parent = component["name"]
    kept = [{**resource, "parent": parent} for resource in kept_resources(resources)]
    if after_destroy:
        protected = {name for name, in_state in _in_state_after_destroy(resources) if in_state}
        return {
            "nameTable": {parent: engine_urn(component["urn"])},
            "resources": [resource for resource in kept if resource["name"] not in protected],
        }
    return {"resources": [{"type": COMPONENT_TYPE, "name": parent, "component": True}, *kept]}


def engine_urn(mocked_urn: str) -> str:
    """The URN the engine gives a resource the mocks named: the engine leaves the root stack's type
    out of its children's URNs (`Deployment.generateURN`, pkg/resource/deploy/deployment.go in
    github.com/pulumi/pulumi, read 2026-12-02); Pulumi's Python mocks keep it."""
    return mocked_urn.replace(f"::{ROOT_STACK_TYPE}$", "::", 1)


def _in_state_after_destroy(resources: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, bool]]:
    # `protect` goes with `deletionPolicy: PREVENT` here (infra/storage.py, infra/billing_export.py).
    for resource in resources:
        yield resource["name"], resource["inputs"].get("deletionPolicy") == PREVENT


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.kept",
        description="Write the `pulumi import --file` JSON that adopts what `pulumi destroy` kept.",
    )
    parser.add_argument("--stack", required=True, help="gpu, tpu or the path of a Pulumi.<stack>.yaml")
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    parser.add_argument(
        "--after-destroy",
        action="store_true",
        help="the stack itself is kept (`pulumi destroy --exclude-protected`): import only what left it",
    )
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # argparse already printed the usage and the error
        return int(exc.code or 0)
    from ops.atomic import atomic_write_text

    try:
        with needs_extra("infra", "python -m infra.kept"):
            from infra.offline import plan_stack
        plan = plan_stack(args.stack)
        text = json.dumps(import_file(plan, after_destroy=args.after_destroy), indent=2) + "\n"
    except TunectlError as exc:
        print(exc.render(), file=sys.stderr)
        return int(exc.status)
    if args.output:
        atomic_write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
