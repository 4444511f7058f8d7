"""Core commands run without any extra; a command that needs a missing extra says which one and how
to get it (`error[extra-missing]`, exit 2), instead of a traceback. "Not installed" is simulated the
way Python itself reports it: the module's `sys.modules` entry set to None makes its import fail."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError
from pathlib import Path

import pytest

from ops.errors import EXTRAS, TunectlError, needs_extra

ROOT = Path(__file__).resolve().parent.parent


def _tunectl_without(
    modules: str | list[str], *argv: str, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    blocked = [modules] if isinstance(modules, str) else modules
    code = (
        f"import runpy, sys; sys.modules.update(dict.fromkeys({blocked!r})); "
        f"sys.argv = ['tunectl', *{list(argv)!r}]; runpy.run_module('ops', run_name='__main__')"
    )
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "TUNECTL_CONFIG": str(cwd / "config.toml"),
        "TUNECTL_LEDGER": str(cwd / "l.db"),
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


# Everything the extras and the dev tools install: a runtime-only install has none of it.
NOT_IN_A_RUNTIME_INSTALL = [
    *(m for modules in EXTRAS.values() for m in modules),
    "googleapiclient",
    "sqlglot",
]


@pytest.mark.parametrize(
    "command",
    [
        "dataset validate samples/sarcasm-generation-gemini/train.jsonl --base-model gemini-3.5-flash",
        "plan --train samples/sarcasm-preference/train.jsonl --engine rlhf-pipeline --accelerator tpu "
        "--steps 300",
        "tune launch --engine gemini --base-model gemini-3.5-flash --epochs 3 --dry-run "
        "--train samples/sarcasm-generation/train.jsonl",
    ],
    ids=["dataset-validate", "plan-rlhf", "tune-launch-gemini-dry-run"],
)
def test_core_commands_run_without_any_extra(command: str, tmp_path: Path) -> None:
    args = [str(ROOT / a) if a.startswith("samples/") else a for a in command.split()]
    result = _tunectl_without(NOT_IN_A_RUNTIME_INSTALL, *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("module", ["pulumi", "pulumi_gcp"])
def test_infra_plan_without_the_infra_extra_names_it(module: str) -> None:
    result = _tunectl_without(module, "infra", "plan", "--stack", "gpu")
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert (
        f"error[extra-missing]: `tunectl infra plan` needs the `infra` extra ({module} is not installed)"
        in (result.stderr)
    )
    assert "pip install 'tunectl[infra]'" in result.stderr


def test_the_rlhf_pipeline_without_kfp_names_the_rlhf_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ops.tuning.pipeline import compiled_pipeline

    monkeypatch.setitem(sys.modules, "kfp", None)
    with pytest.raises(TunectlError) as caught:
        compiled_pipeline(tmp_path)  # an empty cache: it must compile
    assert caught.value.code == "extra-missing" and "`rlhf` extra (kfp" in caught.value.message


def test_the_rlhf_pipeline_without_the_gcpc_distribution_names_the_rlhf_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import ops.tuning.pipeline as pipeline

    def version(name: str) -> str:
        raise PackageNotFoundError(name)

    monkeypatch.setattr(pipeline, "version", version)
    with pytest.raises(TunectlError, match="needs the `rlhf` extra"):
        pipeline.compiled_pipeline(tmp_path)


def test_bleu_and_rouge_without_the_eval_extra_name_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from ops.tuning.metrics import compute_metrics

    monkeypatch.setitem(sys.modules, "sacrebleu", None)
    with pytest.raises(TunectlError) as caught:
        compute_metrics(["a"], ["a"])
    assert caught.value.code == "extra-missing"
    assert caught.value.hint is not None and "tunectl[eval]" in caught.value.hint


def test_an_import_error_outside_the_extra_is_not_disguised() -> None:
    with pytest.raises(ModuleNotFoundError), needs_extra("eval", "x"):
        import tunectl_no_such_module  # type: ignore[import-not-found]  # noqa: F401


def test_every_extra_module_belongs_to_an_extra_pyproject_declares() -> None:
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(EXTRAS) <= set(declared)
