"""Compile Google's RLHF pipeline into the template that `rlhf-pipeline` schedules run, and upload it.

    .venv/bin/python -m infra.rlhf_template out/rlhf_pipeline.yaml
    .venv/bin/python -m infra.rlhf_template out/rlhf_pipeline.yaml \\
        --upload https://{region}-kfp.pkg.dev/{project}/{repository}

The first writes the compiled template. With `--upload` (the stack's `template_registry` output) it
also uploads it to the stack's Artifact Registry KFP repository as package `rlhf-pipeline`, tag
`latest`: the schedules' default `templateUri` is `<template_registry>/rlhf-pipeline/latest`
(Vertex AI v1 takes template URIs only from this Template Registry, never gs://). Uploading uses
Application Default Credentials and needs `roles/artifactregistry.writer` on the repository.

Pinning our own compiled copy means a Google release of the pipeline components changes a scheduled
run only when we upload again. It is the same pipeline `tunectl tune launch` submits
(`ops.tuning.pipeline.compiled_pipeline`, cached per library version), renamed `rlhf-pipeline`:
the registry names a package after the template's `pipelineInfo.name`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from infra.config import RLHF_TEMPLATE_PACKAGE, RLHF_TEMPLATE_TAG
from ops.atomic import atomic_write_text
from ops.errors import TunectlError
from ops.tuning.pipeline import compiled_pipeline, load_pipeline_spec

# What kfp.registry.RegistryClient recognises as an Artifact Registry host (kfp/registry/registry_client.py).
REGISTRY_URL = re.compile(
    r"^https://(?P<region>[a-z0-9-]+)-kfp\.pkg\.dev/(?P<project>[^/]+)/(?P<repo>[^/]+)$"
)


def compile_template(path: Path) -> Path:
    spec = load_pipeline_spec(compiled_pipeline())
    spec["pipelineInfo"]["name"] = RLHF_TEMPLATE_PACKAGE  # the registry's package name
    atomic_write_text(path, yaml.safe_dump(spec, sort_keys=False))
    return path


def pipeline_parameters() -> frozenset[str]:
    """The input parameter names of the pipeline (what a PipelineJob's parameterValues may set)."""
    spec = load_pipeline_spec(compiled_pipeline())
    return frozenset(spec["root"]["inputDefinitions"]["parameters"])


def registry_url(value: str) -> str:
    """argparse type: the stack's `template_registry` output, without a trailing slash."""
    url = value.rstrip("/")
    if not REGISTRY_URL.match(url):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a Template Registry repository URL: use "
            "https://{region}-kfp.pkg.dev/{project}/{repository} (the stack's template_registry output)"
        )
    return url


def upload_template(path: Path, host: str) -> tuple[str, str]:
    """Upload to the KFP repository at `host`, tagged `latest`; returns (package, version)."""
    from kfp.registry import RegistryClient

    package, version = RegistryClient(host=host).upload_pipeline(
        file_name=str(path), tags=[RLHF_TEMPLATE_TAG]
    )
    return package, version


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m infra.rlhf_template",
        description="Compile the RLHF pipeline template and optionally upload it to the Template Registry.",
    )
    parser.add_argument("output", type=Path, help="where to write the compiled template (YAML)")
    parser.add_argument(
        "--upload",
        metavar="REGISTRY_URL",
        type=registry_url,
        help="also upload it, tagged latest: https://{region}-kfp.pkg.dev/{project}/{repository}",
    )
    return parser.parse_args(list(argv))


def main(argv: Sequence[str]) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage and the error
        return int(exc.code or 0)
    try:
        path = compile_template(args.output)
    except TunectlError as exc:  # e.g. error[extra-missing]: the rlhf extra is not installed
        print(exc.render(), file=sys.stderr)
        return int(exc.status)
    print(path)
    if args.upload:
        package, version = upload_template(path, args.upload)
        print(f"{args.upload}/{package}/{RLHF_TEMPLATE_TAG} -> {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
