"""The pack as `pulumi policy publish` ships it: archived, unpacked under its install name, started by
the Python runtime the way the engine starts it, and asked to analyze resources over gRPC.

The archive and install steps mirror Pulumi's own code (github.com/pulumi/pulumi, read 2026-12-02):
`archive.TGZ(dir, "package", useDefaultExcludes=true)` in pkg/backend/httpstate/policypack.go
archives every regular file of the pack directory under `package/`, following symlinks and leaving
out `.git` and whatever a `.gitignore` in the directory, below it or above it ignores
(sdk/go/common/util/archive/archive.go); `installRequiredPolicy` unpacks it and renames `package`
to `~/.pulumi/policies/<org>/pulumi-analyzer-<name>-v<version>` (sdk/go/common/workspace/plugins.go),
keeps the `virtualenv` option and installs requirements.txt there; the Python language host then
runs `<virtualenv>/bin/python -u -m pulumi.policy <engine address> <pack dir>` in the pack directory
(sdk/python/cmd/pulumi-language-python/main.go), which prints the analyzer's port.
"""

from __future__ import annotations

import ast
import io
import os
import select
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pathspec
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tests.infra_fixtures import example_plan

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policies"
POLICY_ENV = ROOT / ".venv-policy"
# What the pack may import: the standard library and its own requirements (policies/requirements.in).
PACK_REQUIREMENTS = {"pulumi_policy", "pulumi"}


def _ignorers(directory: Path) -> list[tuple[Path, pathspec.PathSpec]]:
    found = directory / ".gitignore"
    return (
        [(directory, pathspec.GitIgnoreSpec.from_lines(found.read_text().splitlines()))]
        if found.is_file()
        else []
    )


def _ignored(path: Path, ignorers: list[tuple[Path, pathspec.PathSpec]]) -> bool:
    return any(spec.match_file(path.relative_to(root).as_posix()) for root, spec in ignorers)


def _files(root: Path, directory: Path, ignorers: list[tuple[Path, pathspec.PathSpec]]) -> Iterator[Path]:
    ignorers = ignorers + _ignorers(directory)
    for entry in sorted(directory.iterdir()):
        if entry.name == ".git":
            continue
        if entry.is_dir():  # follows symlinks, as Pulumi does
            yield from _files(root, entry, ignorers)
        elif entry.is_file() and not _ignored(entry, ignorers):
            yield entry


def publish_archive(pack: Path) -> bytes:
    """The .tgz `pulumi policy publish` uploads for a Python pack."""
    above = [ignorer for parent in pack.parents for ignorer in _ignorers(parent)]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in _files(pack, pack, above):
            archive.add(path, arcname=f"package/{path.relative_to(pack).as_posix()}", recursive=False)
    return buffer.getvalue()


def install_published(archive: bytes, policies_dir: Path, name: str, version: str) -> Path:
    """Unpack as `installRequiredPolicy` does; its dependency install is `python3 dev env`'s policy env."""
    staging = policies_dir / f"pulumi-analyzer-{name}-v{version}.tmp"
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as unpacked:
        unpacked.extractall(staging, filter="data")
    installed = policies_dir / f"pulumi-analyzer-{name}-v{version}"
    (staging / "package").rename(installed)
    virtualenv = yaml.safe_load((installed / "PulumiPolicy.yaml").read_text())["runtime"]["options"][
        "virtualenv"
    ]
    (installed / virtualenv).symlink_to(POLICY_ENV, target_is_directory=True)
    return installed


def _virtualenv(pack: Path) -> str:
    return str(yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())["runtime"]["options"]["virtualenv"])


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


@pytest.fixture(scope="module")
def archive() -> bytes:
    return publish_archive(PACK)


@pytest.fixture(scope="module")
def analyzer(
    archive: bytes, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    if not (POLICY_ENV / "bin" / "python").exists():
        pytest.fail("the policy pack environment is missing: run `python3 dev env`")
    org_dir = tmp_path_factory.mktemp("home") / ".pulumi" / "policies" / "my-org"
    org_dir.mkdir(parents=True)
    pack = install_published(archive, org_dir, "tunectl-guardrails", "0.1.0")
    # A clean environment: nothing of the checkout (PYTHONPATH, the main venv) is reachable.
    env = {"PATH": os.defpath, "HOME": str(org_dir.parent.parent.parent)}
    process = subprocess.Popen(
        [pack / _virtualenv(pack) / "bin" / "python", "-u", "-m", "pulumi.policy", "127.0.0.1:1", pack],
        cwd=pack,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        # The analyzer prints its port once it serves; a pack that hangs instead fails the test.
        ready, _, _ = select.select([process.stdout], [], [], 60)
        port = process.stdout.readline().decode().strip() if ready else ""
        if not port.isdigit():
            process.kill()
            pytest.fail(
                f"the published pack did not start: {port!r}\n{process.stderr.read().decode()[-3000:]}"
            )
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait(timeout=30)


def test_the_archive_holds_the_pack_and_nothing_of_the_checkout(archive: bytes) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as unpacked:
        names = set(unpacked.getnames())
    assert {"package/PulumiPolicy.yaml", "package/__main__.py", "package/requirements.txt"} <= names
    assert "package/rules/labels.py" in names
    assert not [n for n in names if "/venv/" in n or "__pycache__" in n or n.endswith(".pyc")]


def test_every_module_in_the_archive_imports_only_the_pack_the_stdlib_and_its_requirements(
    archive: bytes,
) -> None:
    outside = []
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as unpacked:
        for member in unpacked.getmembers():
            if not member.name.endswith(".py"):
                continue
            source = unpacked.extractfile(member)
            assert source is not None
            for node in ast.walk(ast.parse(source.read())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                outside += [
                    f"{member.name}: {name}"
                    for name in names
                    if name.split(".")[0] not in sys.stdlib_module_names | PACK_REQUIREMENTS
                ]
    assert not outside, "the published pack cannot import these"


def test_the_published_pack_describes_itself_over_grpc(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    from policies.catalog import RULES

    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == "tunectl-guardrails"
    assert [policy.name for policy in info.policies] == [rule.id for rule in RULES]


def _analyze(analyzer: analyzer_pb2_grpc.AnalyzerStub, resource: dict[str, Any]) -> list[tuple[str, str]]:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource["type"],
        name=resource["name"],
        urn=f"urn:pulumi:live::tunectl::{resource['type']}::{resource['name']}",
        properties=_struct(resource["inputs"]),
    )
    response = analyzer.Analyze(request, timeout=30)
    return [(d.policyName, d.message) for d in response.diagnostics]


def _bucket() -> dict[str, Any]:
    return next(r for r in example_plan("tpu") if r["name"] == "datasets-bucket")


def test_the_published_pack_passes_a_good_bucket(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    assert _analyze(analyzer, _bucket()) == []


def test_the_published_pack_rejects_a_public_bucket_with_a_bad_label(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    bucket = _bucket()
    bucket["inputs"] = {**bucket["inputs"], "publicAccessPrevention": "inherited"}
    bucket["inputs"]["labels"] = {**bucket["inputs"]["labels"], "Team": "x"}
    violated = {policy for policy, _ in _analyze(analyzer, bucket)}
    assert violated == {"storage-bucket-public-access-prevention", "labels-valid-syntax"}
