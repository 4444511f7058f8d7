"""Run the real Pulumi program offline, under Pulumi's mocks, and return what it would create.

`plan_stack("gpu")` reads `Pulumi.gpu.yaml`, runs `infra/__main__.py` against the real pulumi-gcp SDK
with a mock engine, and returns one entry per resource: type token, logical name, and the inputs
exactly as the engine receives them (camelCase). Nothing leaves the machine: the two provider
functions the program calls (project lookup, QuotaInfos) are answered here.

Each plan runs in a fresh `contextvars.Context`. Pulumi keeps its runtime state (root stack
resource, RPC manager, config, monitor) in context variables; a fresh context starts from their
defaults, so a second plan in the same process sees none of the first one's resources or config.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import json
import runpy
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from infra.config import NAMESPACE, ConfigError, config_keys
from ops.errors import TunectlError
from ops.quotas.tracked import SERVICE, tracked_quotas

with warnings.catch_warnings():
    # Importing pulumi_gcp's storage and bigquery packages warns about the SDK's own deprecated
    # aliases (getTransferProjectServieAccount, bigquery.AppProfile), which we do not use.
    # pulumi_gcp loads its modules lazily: touching a class is what runs the import.
    warnings.simplefilter("ignore", DeprecationWarning)
    import pulumi_gcp

    _ = (pulumi_gcp.storage.Bucket, pulumi_gcp.bigquery.Dataset)

ROOT = Path(__file__).resolve().parent.parent
# Pulumi's Python host runs the `main:` directory with runpy (directory first on sys.path); so do we.
PROGRAM = ROOT / "infra"
EXAMPLE_STACKS = ("gpu", "tpu")
# What `gcp:organizations/getProject` answers offline: a plausible 12-digit project number.
OFFLINE_PROJECT_NUMBER = "123456789012"


def offline_quota_id(display_name: str) -> str:
    """What an offline plan shows for an id that only the live project's QuotaInfos can give."""
    return f"<resolved at preview from QuotaInfos: {display_name}>"


def offline_quota_infos(project: str) -> list[dict[str, Any]]:
    """QuotaInfos for the tracked quotas, camelCase as the provider returns them; ids not documented
    by Google are visibly placeholders, never guesses."""
    parent = f"projects/{project}/locations/global/services/{SERVICE}/quotaInfos"
    return [
        {
            "name": f"{parent}/{quota.quota_id or key}",
            "quotaId": quota.quota_id or offline_quota_id(quota.display_name),
            "quotaDisplayName": quota.display_name,
            "service": SERVICE,
            "metric": f"{SERVICE}/restricted_image_training_{key.replace('-', '_')}",
            "metricDisplayName": quota.display_name,
            "metricUnit": "1",
            "containerType": "PROJECT",
            "dimensions": ["region"],
            "isConcurrent": False,
            "isFixed": False,
            "isPrecise": True,
            "refreshInterval": "",
            "serviceRequestQuotaUri": "",
            "quotaIncreaseEligibilities": [{"isEligible": True, "ineligibilityReason": ""}],
            "dimensionsInfos": [],
        }
        for key, quota in tracked_quotas().items()
    ]


def _whole_numbers(value: Any) -> Any:
    """The engine's protobuf Struct carries every number as a double; show 3.0 as 3, as it was written.
    Keys are sorted so that two plans of the same stack print identically."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


@dataclass
class InventoryMocks(pulumi.runtime.Mocks):
    """Records every resource registration and fakes the outputs the program reads back."""

    quota_infos: Sequence[Mapping[str, Any]] | None = None
    resources: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = _whole_numbers(dict(args.inputs))
        self.resources.append({"type": args.typ, "name": args.name, "inputs": inputs})
        state = dict(inputs)
        if args.typ == "gcp:serviceaccount/account:Account":
            email = f"{inputs['accountId']}@{inputs['project']}.iam.gserviceaccount.com"
            state |= {
                "email": email,
                "member": f"serviceAccount:{email}",
                "name": f"projects/{inputs['project']}/serviceAccounts/{email}",
            }
        elif args.typ == "gcp:storage/bucket:Bucket":
            state |= {"url": f"gs://{inputs['name']}", "selfLink": f"storage/b/{inputs['name']}"}
        return f"{args.name}-id", state

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        self.calls.append(args.token)
        if args.token == "gcp:organizations/getProject:getProject":
            project = args.args.get("projectId", "project")
            return {"projectId": project, "number": OFFLINE_PROJECT_NUMBER, "name": project, "labels": {}}
        if args.token == "gcp:cloudquota/getSQuotaInfos:getSQuotaInfos":
            project = str(args.args["parent"]).removeprefix("projects/")
            infos = offline_quota_infos(project) if self.quota_infos is None else list(self.quota_infos)
            return {
                "id": f"{args.args['parent']}/services/{args.args['service']}",
                "parent": args.args["parent"],
                "service": args.args["service"],
                "quotaInfos": infos,
            }
        raise NotImplementedError(f"offline plan has no answer for provider function {args.token}")


@dataclass(frozen=True)
class StackFile:
    name: str
    path: Path
    config: dict[str, str]  # full keys (`tunectl:region`, `gcp:project`) -> Pulumi's string form


def _as_config_string(value: Any) -> str:
    # Pulumi hands every value to the program as a string; maps and lists as JSON.
    return value if isinstance(value, str) else json.dumps(value)


def _full_key(key: str) -> str:
    return key if ":" in key else f"{NAMESPACE}:{key}"


def _parse_stack_yaml(path: Path) -> Any:
    """The stack file's YAML document; every way it cannot be read is `infra-stack-invalid`."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise TunectlError(
            "infra-stack-invalid",
            f"the stack file is not UTF-8 text: byte 0x{raw[exc.start]:02x} at byte {exc.start} "
            f"(line {line})",
            where=f"{path}:{line}",
            hint="save the file as UTF-8 (Pulumi stack files are UTF-8 YAML)",
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        # PyYAML names a parsed string "<unicode string>": say where in the file instead.
        mark = exc.problem_mark or exc.context_mark
        at = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = ", ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise TunectlError(
            "infra-stack-invalid", f"the stack file is not YAML: {what or type(exc).__name__}", where=at
        ) from exc
    except yaml.YAMLError as exc:
        raise TunectlError(
            "infra-stack-invalid", f"the stack file is not YAML: {exc}", where=str(path)
        ) from exc
    if data is None:
        raise TunectlError(
            "infra-stack-invalid",
            "the stack file is empty",
            where=str(path),
            hint="a stack file holds a `config:` map; see Pulumi.gpu.yaml for the shape",
        )
    return data


def load_stack_file(stack: str | Path) -> StackFile:
    """`gpu` / `tpu` name an example stack in the repo; anything else is a path to a stack file."""
    path = ROOT / f"Pulumi.{stack}.yaml" if str(stack) in EXAMPLE_STACKS else Path(stack)
    if path.is_dir():
        raise TunectlError(
            "infra-stack-not-found",
            f"{path} is a directory, not a stack file",
            where=str(path),
            hint="pass the Pulumi.<stack>.yaml file inside it",
        )
    if not path.is_file():
        raise TunectlError(
            "infra-stack-not-found",
            f"no stack file at {path}",
            hint=f"use --stack {' or --stack '.join(EXAMPLE_STACKS)}, or the path of a Pulumi.<stack>.yaml",
        )
    data = _parse_stack_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("config", {}), dict):
        raise TunectlError(
            "infra-stack-invalid",
            "the stack file has no `config:` map",
            where=str(path),
            hint="see Pulumi.gpu.yaml for the shape",
        )
    unknown = sorted(
        key
        for key in (data.get("config") or {})
        if _full_key(key).startswith(f"{NAMESPACE}:") and _full_key(key).split(":", 1)[1] not in config_keys()
    )
    if unknown:
        raise TunectlError(
            "infra-config-unknown-key",
            f"unknown config key(s): {', '.join(unknown)}",
            where=str(path),
            hint=f"known keys: {', '.join(config_keys())}",
        )
    parts = path.name.split(".")
    name = parts[1] if len(parts) == 3 and parts[0] == "Pulumi" else path.stem
    config = {_full_key(k): _as_config_string(v) for k, v in (data.get("config") or {}).items()}
    return StackFile(name=name, path=path, config=config)


def _close_event_loop() -> None:
    # Pulumi's _sync_await leaves the thread's event loop open. Left to the garbage collector at
    # interpreter exit it is closed after its self-pipe is gone and prints "Exception ignored in
    # BaseEventLoop.__del__ ... Bad file descriptor" on stderr; closed here, before teardown, it is quiet.
    with contextlib.suppress(RuntimeError):
        loop = asyncio.get_event_loop_policy().get_event_loop()
        if not loop.is_running() and not loop.is_closed():
            loop.close()


atexit.register(_close_event_loop)


def _run_program(stack: StackFile, config: dict[str, str], mocks: InventoryMocks) -> dict[str, Any]:
    """Runs in a fresh context: see the module docstring."""
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    pulumi.runtime.set_all_config(config)
    monitor = MockMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=NAMESPACE, stack=stack.name, preview=False, monitor=monitor)
    program: dict[str, Any] = {}

    def run() -> None:
        program.update(runpy.run_path(str(PROGRAM), run_name="__main__"))

    _sync_await(run_pulumi_func(run))
    # The URN shows the parent chain (`...TuningEnvironment$gcp:storage/bucket:Bucket::name`).
    urns = {(urn.split("::")[-2].split("$")[-1], urn.split("::")[-1]): urn for urn in monitor.resources}
    for resource in mocks.resources:
        resource["urn"] = urns[(resource["type"], resource["name"])]
    outputs = program["environment"].outputs
    resolved = _sync_await(pulumi.Output.from_input(outputs).future())
    return dict(resolved or {})


def plan_stack(
    stack: str | Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    quota_infos: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The resources `pulumi up` would create for a stack, sorted by (type, name).

    `overrides` replace config values (keys with or without the `tunectl:` namespace; None removes
    a key); `quota_infos` replaces the offline QuotaInfos answer. Config errors raise TunectlError.
    """
    return plan_stack_with_outputs(stack, overrides, quota_infos=quota_infos)[0]


def plan_stack_with_outputs(
    stack: str | Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    quota_infos: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    stack_file = load_stack_file(stack)
    config = dict(stack_file.config)
    for key, value in (overrides or {}).items():
        if value is None:
            config.pop(_full_key(key), None)
        else:
            config[_full_key(key)] = _as_config_string(value)
    mocks = InventoryMocks(quota_infos=quota_infos)
    try:
        outputs = contextvars.Context().run(_run_program, stack_file, config, mocks)
    except ConfigError as exc:
        raise TunectlError(
            "infra-config-invalid",
            exc.message,
            where=f"{stack_file.path.name}: {exc.key}",
            hint=exc.hint,
        ) from None
    resources = sorted(mocks.resources, key=lambda r: (r["type"], r["name"]))
    return resources, outputs
