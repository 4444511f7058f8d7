"""`--runs-file`: a JSON `{"runs": [...]}` of ledger records, checked field by field before use.

A hand-written or edited runs file is user input: a string where a list belongs would otherwise be
read character by character, and a bad time would surface as a Python traceback.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError, field_validator

from ops.errors import TunectlError

if TYPE_CHECKING:
    from ops.ledger import RunRecord

HINT = (
    'a JSON object {"runs": [...]} of ledger records (run_id, engine, labels, billing_ids, '
    "estimate_amount, started_at, ...), as `tunectl cost sample-export` writes beside its export"
)
_TIME = "an ISO-8601 time string (e.g. 2026-10-01T09:00:00Z) or null"
# What each field must be, in the user's words (JSON types), for the error message.
EXPECTED: dict[str, str] = {
    "run_id": "a non-empty string",
    "engine": "a non-empty string",
    "datasets": "a list of objects",
    "parameters": "an object",
    "labels": 'an object of string values ({"key": "value"})',
    "billing_ids": 'a list of strings (["7123456789"])',
    "estimate_amount": 'a decimal number or numeric string ("12.50") or null',
    "preflight": "an object",
    "recorded_at": "a string",
    "source": "a string",
    **dict.fromkeys(("created_at", "started_at", "ended_at"), _TIME),
}


class RunsFileRecord(BaseModel):
    """The fields of `ops.ledger.RunRecord`, typed as JSON gives them."""

    model_config = ConfigDict(extra="forbid", strict=True)

    run_id: StrictStr
    engine: StrictStr
    method: StrictStr | None = None
    base_model: StrictStr | None = None
    region: StrictStr | None = None
    display_name: StrictStr | None = None
    datasets: list[dict[str, Any]] = []
    parameters: dict[str, Any] = {}
    labels: dict[StrictStr, StrictStr] = {}
    billing_ids: list[StrictStr] = []
    estimate_amount: Decimal | None = None
    estimate_currency: StrictStr | None = None
    price_table_id: StrictStr | None = None
    job_name: StrictStr | None = None
    state: StrictStr | None = None
    error: StrictStr | None = None
    tuned_model: StrictStr | None = None
    endpoint: StrictStr | None = None
    created_at: StrictStr | None = None
    started_at: StrictStr | None = None
    ended_at: StrictStr | None = None
    recorded_at: StrictStr = ""
    source: StrictStr = "launch"
    preflight: dict[str, Any] = {}
    schedule: StrictStr | None = None

    @field_validator("run_id", "engine")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty")
        return value

    @field_validator("estimate_amount", mode="before")
    @classmethod
    def _decimal(cls, value: object) -> object:
        # JSON numbers and numeric strings; never a bool, never "abc" or "NaN".
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("not a number")
        try:
            amount = Decimal(str(value))
        except ArithmeticError:
            raise ValueError("not a number") from None
        if not amount.is_finite():
            raise ValueError("not a finite number")
        return amount

    @field_validator("created_at", "started_at", "ended_at")
    @classmethod
    def _iso_time(cls, value: str | None) -> str | None:
        if value:
            datetime.fromisoformat(value)  # ValueError -> the field's error
        return value


def _shown(value: object) -> str:
    """A value as the user wrote it (JSON), not as Python prints it."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _invalid(path: Path, message: str) -> TunectlError:
    return TunectlError("runs-file-invalid", message, where=str(path), hint=HINT)


def read_runs_file(path: Path) -> list[RunRecord]:
    from ops.ledger import RunRecord

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _invalid(path, f"the runs file cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise _invalid(path, "the runs file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _invalid(path, f"not JSON (from line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict) or "runs" not in data:
        found = "a list" if isinstance(data, list) else f"{_shown(data)}"
        raise _invalid(path, f'expected an object with a "runs" list at the top, found {found}')
    items = data["runs"]
    if not isinstance(items, list):
        raise _invalid(path, f'"runs" must be a list of run records, found {_shown(items)}')
    if not items:
        raise _invalid(path, '"runs" is empty: the file names no run')
    records = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _invalid(path, f"runs[{index}] must be an object (a run record), found {_shown(item)}")
        try:
            model = RunsFileRecord.model_validate(item)
        except ValidationError as exc:
            raise _invalid(path, _field_message(index, item, exc)) from None
        records.append(RunRecord(**dict(model)))
    return records


def _field_message(index: int, item: dict[str, Any], exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = first["loc"]
    name = str(loc[0]) if loc else "?"
    run_id = item.get("run_id")
    where = f"runs[{index}]" + (f" (run_id {run_id!r})" if isinstance(run_id, str) else "")
    if first["type"] == "missing":
        return f"{where}: field {name!r} is missing; expected {EXPECTED.get(name, 'a string')}"
    if first["type"] == "extra_forbidden":
        return f"{where}: unknown field {name!r} (a typo? ledger record fields only)"
    expected = EXPECTED.get(name, "a string or null")
    return f"{where}: field {name!r} is {_shown(item.get(name))}; expected {expected}"
