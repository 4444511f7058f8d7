"""Run by `.venv-policy/bin/python` from tests/test_policy_pack_env.py (never by pytest directly).

Drives the pack the way the Pulumi engine does, without starting its gRPC server: builds the
policies, asks the real `pulumi_policy` analyzer for its info, configures it with a pack config,
and sends one AnalyzeRequest per resource and one AnalyzeStackRequest. Reads a
list of `{"config": {...}, "resources": [...]}` cases on stdin and prints, per case, what the engine
would receive, as JSON.
"""

from __future__ import annotations

import importlib
import json
import runpy
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

ROOT = Path(__file__).resolve().parent.parent


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def analyze(package: str, config: dict[str, Any], inventory: list[dict[str, Any]]) -> dict[str, Any]:
    """`package`: the name the pack's entry point imported the pack under."""
    pack = importlib.import_module(f"{package}.pack")
    rules_by_id = importlib.import_module(f"{package}.catalog").RULES_BY_ID
    parse_pack_config = importlib.import_module(f"{package}.pack_config").parse_pack_config

    policies = pack.build_policies()
    servicer = _PolicyAnalyzerServicer(pack.PACK_NAME, "0.1.0", policies, EnforcementLevel.MANDATORY)
    info = json_format.MessageToDict(
        servicer.GetAnalyzerInfo(None, None), always_print_fields_with_no_presence=True
    )

    # The engine sends every policy's effective level with the file's properties.
    pack_config = parse_pack_config(config)
    configure = proto.ConfigureAnalyzerRequest()
    for name, rule in rules_by_id.items():
        level, _ = pack_config.settings_for(rule)
        setting = pack_config.policies.get(name)
        configure.policyConfig[name].CopyFrom(
            proto.PolicyConfig(
                enforcementLevel=getattr(proto, level.value.upper()),
                properties=_struct(dict(setting.properties) if setting else {}),
            )
        )
    servicer.Configure(configure, None)

    diagnostics = []
    resources = []
    for resource in inventory:
        urn = f"urn:pulumi:probe::tunectl::{resource['type']}::{resource['name']}"
        kwargs = {"type": resource["type"], "name": resource["name"], "urn": urn}
        props = _struct(resource["inputs"])
        resources.append(proto.AnalyzerResource(properties=props, **kwargs))
        response = servicer.Analyze(proto.AnalyzeRequest(properties=props, **kwargs), None)
        diagnostics += [(d, resource["name"]) for d in response.diagnostics]
    stack_response = servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None)
    diagnostics += [(d, d.urn.rsplit("::", 1)[-1] if d.urn else None) for d in stack_response.diagnostics]
    return {
        "versions": {name: metadata.version(name) for name in ("pulumi-policy", "pulumi", "protobuf")},
        "resource_policies": [p.name for p in policies if isinstance(p, ResourceValidationPolicy)],
        "analyzer_policies": info["policies"],
        "violations": [
            {
                "policy": d.policyName,
                "resource": name,
                "enforcement": proto.EnforcementLevel.Name(d.enforcementLevel).lower(),
                "message": d.message,
            }
            for d, name in diagnostics
        ],
    }


def main() -> None:
    # The entry point Pulumi runs, under another name: no server starts; it loads the pack the way
    # it does for the engine.
    entry = runpy.run_path(str(ROOT / "policies"), run_name="policy_pack_probe")
    entry["load_pack"]()
    cases = json.load(sys.stdin)
    json.dump([analyze(entry["PACKAGE"], case["config"], case["resources"]) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
