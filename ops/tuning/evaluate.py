"""`tune evaluate`: answers from the tuned model (and optionally its base model), scored side by side."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ops.tuning.metrics import Metrics

SAMPLES_SHOWN = 5


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    md = "md"


@dataclass(frozen=True)
class Sample:
    prompt: str
    reference: str
    tuned: str
    base: str | None = None


@dataclass(frozen=True)
class EvalReport:
    run_id: str
    eval_path: str
    tuned_model: str
    base_model: str | None
    tuned: Metrics
    base: Metrics | None = None
    samples: list[Sample] = field(default_factory=list)


_ROWS = (
    ("exact match", "exact_match", "{:.3f}"),
    ("BLEU", "bleu", "{:.2f}"),
    ("ROUGE-1", "rouge1", "{:.3f}"),
    ("ROUGE-2", "rouge2", "{:.3f}"),
    ("ROUGE-L", "rougeL", "{:.3f}"),
    ("accuracy", "accuracy", "{:.3f}"),
)


def metric_rows(report: EvalReport) -> list[tuple[str, str, str | None]]:
    rows = []
    for title, attr, fmt in _ROWS:
        tuned = getattr(report.tuned, attr)
        if tuned is None:
            continue
        base = getattr(report.base, attr) if report.base else None
        rows.append((title, fmt.format(tuned), fmt.format(base) if base is not None else None))
    for label, scores in report.tuned.per_class.items():
        base_scores = report.base.per_class.get(label) if report.base else None
        for name in ("precision", "recall", "f1"):
            value = f"{getattr(scores, name):.3f}"
            base_value = f"{getattr(base_scores, name):.3f}" if base_scores else None
            rows.append((f"{label} {name}", value, base_value))
    return rows


def render_markdown(report: EvalReport) -> str:
    with_base = report.base is not None
    lines = [
        f"# Evaluation of run {report.run_id}",
        "",
        f"- evaluation set: `{report.eval_path}` ({report.tuned.examples} examples)",
        f"- tuned model: `{report.tuned_model}`",
    ]
    if with_base:
        lines.append(f"- base model: `{report.base_model}`")
    lines += [
        "",
        "| metric | tuned |" + (" base |" if with_base else ""),
        "|---|---|" + ("---|" if with_base else ""),
    ]
    for title, tuned, base in metric_rows(report):
        lines.append(f"| {title} | {tuned} |" + (f" {base or '-'} |" if with_base else ""))
    if report.samples:
        lines += ["", "## Samples", ""]
        for sample in report.samples:
            lines.append(
                f"- prompt: {sample.prompt!r}\n  - reference: {sample.reference!r}\n"
                f"  - tuned: {sample.tuned!r}"
            )
            if sample.base is not None:
                lines.append(f"  - base: {sample.base!r}")
    return "\n".join(lines) + "\n"


def render_text(report: EvalReport, console: Any) -> None:
    from rich.table import Table

    table = Table(title=f"run {report.run_id}: {report.tuned.examples} examples from {report.eval_path}")
    table.add_column("metric")
    table.add_column("tuned", justify="right")
    if report.base is not None:
        table.add_column(f"base ({report.base_model})", justify="right")
    for title, tuned, base in metric_rows(report):
        table.add_row(title, tuned, *([base or "-"] if report.base is not None else []))
    console.print(table)
