"""`tunectl cost diff`: two reconciliations side by side, per run and in total, per currency.

The inputs are what `cost reconcile --format json` (or `cost report -f json`) writes, or two months
reconciled on the spot. Runs are matched by run id and currency; money is compared exactly (decimals
from the JSON strings). The change of a run is relative to the first reconciliation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ops.costs.model import money_display, money_str
from ops.errors import ExitStatus, TunectlError

# Runs listed in the Markdown table (a PR comment stays readable); text, CSV and JSON list all.
MARKDOWN_ROWS = 50


@dataclass(frozen=True)
class Side:
    label: str  # the file name or the month
    runs: dict[tuple[str, str], Decimal]  # (run id, currency) -> net
    totals: dict[str, Decimal]  # currency -> net


@dataclass(frozen=True)
class Change:
    key: str  # run id, or "total"
    currency: str
    before: Decimal | None
    after: Decimal | None

    @property
    def delta(self) -> Decimal:
        return (self.after or Decimal(0)) - (self.before or Decimal(0))

    @property
    def pct(self) -> float | None:
        if self.before is None or self.after is None or self.before == 0:
            return None
        return round(float(self.delta / abs(self.before) * 100), 2)

    @property
    def status(self) -> str:
        if self.before is None:
            return "new"
        if self.after is None:
            return "gone"
        return "changed" if self.delta else "same"


@dataclass(frozen=True)
class CostDiff:
    before: Side
    after: Side
    runs: list[Change]
    totals: list[Change]
    fail_over_pct: float | None

    def over(self) -> list[Change]:
        """Runs present on both sides whose net moved by more than --fail-over percent."""
        if self.fail_over_pct is None:
            return []
        limit = self.fail_over_pct
        return [c for c in self.runs if c.pct is not None and abs(c.pct) > limit]

    def as_json(self) -> dict[str, Any]:
        def row(c: Change) -> dict[str, Any]:
            return {
                "key": c.key,
                "currency": c.currency,
                "before": money_str(c.before) if c.before is not None else None,
                "after": money_str(c.after) if c.after is not None else None,
                "delta": money_str(c.delta),
                "delta_pct": c.pct,
                "status": c.status,
            }

        return {
            "before": self.before.label,
            "after": self.after.label,
            "totals": [row(c) for c in self.totals],
            "runs": [row(c) for c in self.runs],
            "fail_over_pct": self.fail_over_pct,
            "over_threshold": [c.key for c in self.over()],
        }


# What a side must hold: the shape `cost reconcile --format json` writes, the parts the diff reads.
EXPECTED_SHAPE = (
    'a JSON object {"runs": [{"run_id", "currency", "net"}, ...], "totals": [{"currency", "net"}, ...]}'
)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _entries(body: Any, key: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """`body[key]` as a list of objects that each have `fields`; raises ValueError saying what is wrong."""
    if not isinstance(body, dict):
        raise ValueError(f"the top level is {_json_type(body)}, not an object")
    if key not in body:
        raise ValueError(f"it has no `{key}` key")
    entries = body[key]
    if not isinstance(entries, list):
        raise ValueError(f"`{key}` is {_json_type(entries)}, not a list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"`{key}[{index}]` is {_json_type(entry)}, not an object")
        missing = [f for f in fields if f not in entry]
        if missing:
            raise ValueError(f"`{key}[{index}]` has no `{missing[0]}`")
        for name in fields:
            if name != "net" and not (isinstance(entry[name], str) and entry[name]):
                raise ValueError(f"`{key}[{index}].{name}` is {_shown(entry[name])}, not a non-empty string")
        net = entry["net"]
        try:
            if isinstance(net, bool) or not isinstance(net, str | int | float):
                raise InvalidOperation
            if not Decimal(str(net)).is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise ValueError(f"`{key}[{index}].net` is {_shown(net)}, not a decimal amount") from None
    return entries


def _shown(value: Any) -> str:
    """A value as JSON writes it (`null`, `"abc"`), not as Python prints it (`None`, `'abc'`)."""
    return json.dumps(value)


def side_from_json(body: Any, label: str, where: str | None = None) -> Side:
    """A reconciliation's JSON (runs with run_id, currency and net; totals per currency)."""
    try:
        runs: dict[tuple[str, str], Decimal] = {}
        for run in _entries(body, "runs", ("run_id", "currency", "net")):
            key = (str(run["run_id"]), str(run["currency"]))
            runs[key] = runs.get(key, Decimal(0)) + Decimal(str(run["net"]))
        totals = {
            str(t["currency"]): Decimal(str(t["net"])) for t in _entries(body, "totals", ("currency", "net"))
        }
    except ValueError as exc:
        raise TunectlError(
            "reconciliation-unreadable",
            f"{label} is not a reconciliation: {exc}",
            where=where or label,
            hint=f"give files written by `tunectl cost reconcile --format json`: {EXPECTED_SHAPE}",
            status=ExitStatus.USAGE,
        ) from exc
    return Side(label, runs, totals)


def load_side(path: Path) -> Side:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TunectlError(
            "reconciliation-unreadable",
            f"{path.name} is not JSON (from line {exc.lineno}, column {exc.colno})",
            where=f"{path}:{exc.lineno}",
            hint="give `tunectl cost reconcile --format json` output (not YAML, text or CSV)",
            status=ExitStatus.USAGE,
        ) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TunectlError(
            "reconciliation-unreadable",
            f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}",
            where=str(path),
            hint="give files written by `tunectl cost reconcile --format json`",
            status=ExitStatus.USAGE,
        ) from exc
    return side_from_json(body, path.name, str(path))


def compare(before: Side, after: Side, fail_over_pct: float | None = None) -> CostDiff:
    runs = [
        Change(run_id, currency, before.runs.get((run_id, currency)), after.runs.get((run_id, currency)))
        for run_id, currency in set(before.runs) | set(after.runs)
    ]
    runs.sort(key=lambda c: (-abs(c.delta), c.key, c.currency))
    totals = [
        Change("total", currency, before.totals.get(currency), after.totals.get(currency))
        for currency in sorted(set(before.totals) | set(after.totals))
    ]
    return CostDiff(before, after, runs, totals, fail_over_pct)


def _money(value: Decimal | None, currency: str) -> str:
    return "-" if value is None else money_display(value, currency)


def _pct(c: Change) -> str:
    return c.status if c.pct is None else f"{c.pct:+.2f}%"


def _cells(c: Change) -> list[str]:
    return [
        c.key,
        c.currency,
        _money(c.before, c.currency),
        _money(c.after, c.currency),
        f"{'+' if c.delta > 0 else ''}{money_display(c.delta, c.currency)}",
        _pct(c),
    ]


HEADER = ["run", "currency", "before", "after", "change", "change %"]


def render_markdown(diff: CostDiff) -> str:
    """A PR comment: totals, then the runs that moved most, flagged past --fail-over."""
    over = {(c.key, c.currency) for c in diff.over()}

    def table(rows: list[list[str]]) -> list[str]:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join([" --- "] + [" ---: "] * 5) + "|"]
        return lines + ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]

    out = [f"### Cost diff: {diff.before.label} → {diff.after.label}", ""]
    out += table([_cells(c) for c in diff.totals])
    moved = [c for c in diff.runs if c.status != "same"]
    out += ["", f"**Runs:** {len(moved)} of {len(diff.runs)} changed"]
    if diff.fail_over_pct is not None:
        out[-1] += f"; {len(over)} moved more than {diff.fail_over_pct:g}% (⚠)"
    if moved:
        shown = moved[:MARKDOWN_ROWS]
        rows = [[("⚠ " if (c.key, c.currency) in over else "") + c.key, *_cells(c)[1:]] for c in shown]
        out += ["", *table(rows)]
        if len(moved) > len(shown):
            out += ["", f"… and {len(moved) - len(shown)} more (`--format json` lists every run)."]
    out += ["", "_Money is rounded to each currency's minor unit; the JSON output is exact._"]
    return "\n".join(out) + "\n"


def render_text(diff: CostDiff) -> list[str]:
    """Aligned lines within 80 columns; run ids are never cut (the currency column goes first)."""
    from ops.costs.report import TEXT_WIDTH, fit_columns

    rows = [_cells(c) for c in [*diff.totals, *diff.runs]]
    shown = fit_columns(HEADER, rows, droppable=[1, 2], width=TEXT_WIDTH)
    table = [[row[i] for i in shown] for row in [HEADER, *rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(shown))]
    lines = [f"{diff.before.label} -> {diff.after.label}"]
    for row in table:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    over = diff.over()
    if diff.fail_over_pct is not None:
        lines.append(
            f"Runs that moved more than {diff.fail_over_pct:g}%: {', '.join(c.key for c in over) or 'none'}"
        )
    return lines
