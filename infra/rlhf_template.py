"""Compile Google's RLHF pipeline into the template that `rlhf-pipeline` schedules run.

    .venv/bin/python -m infra.rlhf_template out/rlhf_pipeline.yaml

Upload the file to `gs://<pipelines bucket>/templates/rlhf_pipeline.yaml` (the schedules' default
`templateUri`). Pinning our own compiled copy means a Google release of the pipeline components
changes a scheduled run only when we recompile. It is the same compiled pipeline `tunectl tune
launch` submits (`ops.tuning.pipeline.compiled_pipeline`, cached per library version).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ops.atomic import atomic_write_bytes
from ops.tuning.pipeline import compiled_pipeline, load_pipeline_spec


def compile_template(path: Path) -> Path:
    atomic_write_bytes(path, compiled_pipeline().read_bytes())
    return path


def pipeline_parameters() -> frozenset[str]:
    """The input parameter names of the pipeline (what a PipelineJob's parameterValues may set)."""
    spec = load_pipeline_spec(compiled_pipeline())
    return frozenset(spec["root"]["inputDefinitions"]["parameters"])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(compile_template(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
