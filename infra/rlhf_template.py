"""Compile Google's RLHF pipeline into the template that `rlhf-pipeline` schedules run.

    .venv/bin/python -m infra.rlhf_template out/rlhf_pipeline.yaml

Upload the file to `gs://<pipelines bucket>/templates/rlhf_pipeline.yaml` (the schedules' default
`templateUri`). Pinning our own compiled copy means a Google release of the pipeline components
changes a scheduled run only when we recompile. Compiling is offline and takes a few seconds
(importing the components is most of it).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any


def _rlhf_pipeline() -> Any:
    with warnings.catch_warnings():
        # The components use kfp's deprecated dsl.Condition; that is Google's to change, not ours.
        warnings.simplefilter("ignore", DeprecationWarning)
        from google_cloud_pipeline_components.preview.llm import rlhf_pipeline
    return rlhf_pipeline


def compile_template(path: Path) -> Path:
    from kfp import compiler

    path.parent.mkdir(parents=True, exist_ok=True)
    compiler.Compiler().compile(_rlhf_pipeline(), str(path))
    return path


def pipeline_parameters() -> frozenset[str]:
    """The input parameter names of the pipeline (what a PipelineJob's parameterValues may set)."""
    return frozenset(_rlhf_pipeline().component_spec.inputs or {})


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(compile_template(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
