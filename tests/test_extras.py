"""A command that needs an optional extra which is not installed says which one, and how to get it
(`error[extra-missing]`, exit 2), instead of a traceback. "Not installed" is simulated the way Python
itself reports it: the module's `sys.modules` entry set to None makes its import fail."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError
from pathlib import Path

import pytest

from ops.errors import EXTRAS, TunectlError, needs_extra

ROOT = Path(__file__).resolve().parent.parent


def _tunectl_without(module: str, *argv: str) -> subprocess.CompletedProcess[str]:
    code = (
        f"import runpy, sys; sys.modules[{module!r}] = None; sys.argv = ['tunectl', *{list(argv)!r}]; "
        "runpy.run_module('ops', run_name='__main__')"
    )
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


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
