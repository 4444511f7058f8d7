"""Text rendering of dataset reports (JSON output is the reports themselves)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ops.datasets.checks import CHECKS
from ops.output import plural

if TYPE_CHECKING:
    from rich.console import Console

    from ops.datasets.validate import FileReport, Finding


def _where(f: Finding) -> str:
    if f.line is None:
        return "file"
    return f"line {f.line}" + (f", column {f.column}" if f.column is not None else "")


def _tokens_line(stats: dict[str, Any]) -> str:
    tokens = stats["tokens"]
    counter = stats["token_counter"]
    parts = []
    for side in ("input", "output"):
        d = tokens[side]
        parts.append(f"{side} p5 {d['p5']:,} / p50 {d['p50']:,} / p95 {d['p95']:,} / max {d['max']:,}")
    estimate = "" if counter["exact"] else ", an estimate"
    if stats.get("format") in {"gemini-reinforcement", "palm-prompt"}:
        # The answers (and their thinking) are generated during tuning: the file holds prompts only.
        return (
            f"tokens ({counter['name']}{estimate}): " + parts[0] + f"; prompts {tokens['billable']:,} in all "
            "(answers are generated during tuning, so the file holds no output tokens)"
        )
    return f"tokens ({counter['name']}{estimate}): " + "; ".join(parts) + f"; billable {tokens['billable']:,}"


def media_line(stats: dict[str, Any]) -> str | None:
    """Media parts and how their tokens were counted; None for a text-only file."""
    media = stats.get("media") or {}
    if not media.get("parts"):
        return None
    parts = ", ".join(f"{n} {modality}" for modality, n in media["parts"].items())
    part_noun = "part" if sum(media["parts"].values()) == 1 else "parts"
    line = f"media: {plural(media['multimodal_examples'], 'multimodal example')} ({parts} {part_noun}); "
    counter = stats["tokens"].get("media_counter") or {}
    if counter.get("exact"):
        line += f"{counter['examples']:,} counted whole by {counter['name']} (media included)"
        if counter["refused"]:
            line += f", {counter['refused']:,} refused by it (see count-tokens-refused)"
        if media["estimated_tokens"] or media["unknown_token_parts"]:
            line += "; the rest: "
    if media["estimated_tokens"] or not counter.get("exact"):
        estimated = media["estimated_tokens"]
        line += f"{estimated:,} tokens at Google's documented per-modality rates (an estimate)"
    if media["unknown_token_parts"]:
        line += (
            f"; {plural(media['unknown_token_parts'], 'part')} of unknown length (whole audio/video files, "
            "PDF pages): their tokens are unknown offline, so billable is a floor"
        )
    return line


def spelling_line(stats: dict[str, Any]) -> str | None:
    spelling = stats.get("field_spelling")
    if spelling in (None, "either"):
        return None
    return f"field names: {spelling} (Google's JSON parser reads lowerCamel and snake_case alike)"


def references_line(stats: dict[str, Any]) -> str | None:
    """Reinforcement data: the reference keys seen, and those the reward config reads."""
    references = stats.get("references")
    if references is None:
        return None
    keys = references["keys"]
    if keys is None:
        seen = f"more than {references['more_keys_than']} distinct keys"
    else:
        seen = ", ".join(f"{key} ({n:,})" for key, n in keys.items()) or "none"
    line = f"references: {seen} in {plural(references['examples'], 'example')}"
    required = references["required_by_reward_config"]
    if required is not None:
        line += (
            f"; the reward config reads {', '.join(required) or 'no key'}: "
            f"{plural(references['examples_missing_required'], 'example')} lack one"
        )
    return line


def render_reports(console: Console, reports: list[FileReport], *, per_code: int = 5) -> None:
    """A summary per file: verdict, counts per code with the first `per_code` findings, stats."""
    for report in reports:
        what = f"{report.kind} ({report.style})" if report.kind else "unknown format"
        verdict = "valid" if report.valid else "INVALID"
        role = report.stats.get("role", "training")
        console.print(
            f"{report.path}: {verdict} — {role} set, {what}, {plural(report.examples, 'example')}, "
            f"{plural(len(report.errors), 'error')}, {plural(len(report.warnings), 'warning')}",
            markup=False,
            highlight=False,
        )
        by_code: dict[str, list[Finding]] = defaultdict(list)
        for finding in [*report.errors, *report.warnings]:
            by_code[finding.code].append(finding)
        for code, findings in by_code.items():
            severity = CHECKS[code].severity.value
            console.print(f"  {severity}[{code}] x{len(findings)}: {CHECKS[code].summary}", markup=False)
            for f in findings[:per_code]:
                console.print(f"    {_where(f)}: {f.message}", markup=False, highlight=False)
            if len(findings) > per_code:
                console.print(
                    f"    ...and {len(findings) - per_code:,} more (--format json lists all)", markup=False
                )
        stats = report.stats
        if stats.get("well_formed_examples"):
            console.print("  " + _tokens_line(stats), markup=False, highlight=False)
        for line in (media_line(stats), spelling_line(stats), references_line(stats)):
            if line is not None:
                console.print("  " + line, markup=False, highlight=False)
        classification = stats.get("classification")
        if classification:
            counts = ", ".join(f"{label} {n}" for label, n in classification["classes"].items())
            console.print(
                f"  classification ({classification['source']}): {counts}", markup=False, highlight=False
            )
        if "overlap_with_training" in stats:
            console.print(f"  overlap with training: {stats['overlap_with_training']}", markup=False)
