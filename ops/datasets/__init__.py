"""Tuning datasets: formats, validation, conversion, splitting, statistics and token counting.

Public entry points (other modules and commands call these):
- `validate_file(path_or_uri, kind=, base_model=, counter=, validation_of=)` -> `FileReport`
- `validate_files(paths, validation=)` -> `list[FileReport]` (training files, then the validation file)
- `convert_file(src, dst, to=)` and `convert_record(obj, to=)` (article <-> Gemini formats)
- `split_file(...)`, `dataset_stats(...)`
- `TokenCounter`, `EstimateTokenCounter`, `VertexTokenCounter`
- `reinforcement.required_references(reward_config_path)` -> `RequiredReferences`, passed to
  `validate_file(s)(references=)`: the `references` keys every reinforcement example must hold
"""

from ops.datasets.checks import CHECKS, Severity
from ops.datasets.formats import Kind, Layout, Style
from ops.datasets.tokens import EstimateTokenCounter, TokenCounter, VertexTokenCounter
from ops.datasets.validate import FileReport, Finding, validate_file, validate_files

__all__ = [
    "CHECKS",
    "EstimateTokenCounter",
    "FileReport",
    "Finding",
    "Kind",
    "Layout",
    "Severity",
    "Style",
    "TokenCounter",
    "VertexTokenCounter",
    "validate_file",
    "validate_files",
]
