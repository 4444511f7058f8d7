"""The dated price table: every figure tunectl plans with, each with its date and source.

Table format (`tunectl-prices/1`, JSON), shared with `tunectl pricing refresh` (issue 9), which writes
a refreshed table from the Cloud Billing Catalog API in the same format:

    {
      "format": "tunectl-prices/1",
      "id": "catalog-2026-12-01T10:00:00Z",      # identifies the table in plans and ledgers
      "retrieved": "2026-12-01",                   # when the figures were read
      "source": "Cloud Billing Catalog API, service C7E2-9256-1C43",
      "entries": [
        {
          "id": "gemini-tuning:gemini-2.5-flash", # stable key; a refreshed entry replaces the
                                                   # built-in entry with the same id
          "description": "...",
          "engine": "gemini" | "rlhf-pipeline",
          "base_model": "gemini-2.5-flash",        # gemini entries
          "accelerator": "tpu" | "gpu",            # rlhf-pipeline entries
          "region": "europe-west4",                # optional
          "unit": "1M training tokens" | "hour",
          "price": "5" | null,                     # decimal string; null = unknown
          "currency": "USD",
          "date": "2026-12-01",                    # the date the figure is valid for
          "source": "https://... or catalog SKU name",
          "sku_id": "ABCD-1234-EF56",              # optional, catalog entries
          "confirmed": true                        # false: not read from an official source
        }
      ]
    }

Which tables are read, later ones overriding earlier ones entry by entry: the built-in
`ops/data/prices.json`, then a refreshed table at `$TUNECTL_PRICES` or, when that is unset,
`$XDG_DATA_HOME/tunectl/prices.json` (default `~/.local/share/tunectl/prices.json`) if it exists,
then the `path` passed to `load_price_table`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from ops.errors import TunectlError

FORMAT = "tunectl-prices/1"


def refreshed_table_path() -> Path:
    """Where `tunectl pricing refresh` stores its table (and where it is looked for)."""
    explicit = os.environ.get("TUNECTL_PRICES")
    if explicit:
        return Path(explicit)
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "tunectl" / "prices.json"


@dataclass(frozen=True)
class PriceEntry:
    id: str
    description: str
    engine: str
    unit: str
    price: Decimal | None
    currency: str
    date: str
    source: str
    table: str  # the id of the table this entry came from
    confirmed: bool = False
    base_model: str | None = None
    accelerator: str | None = None
    region: str | None = None
    sku_id: str | None = None


@dataclass
class PriceTable:
    entries: dict[str, PriceEntry] = field(default_factory=dict)
    tables: list[dict[str, str]] = field(
        default_factory=list
    )  # id, retrieved, source, path of each table read

    def tuning_per_million_tokens(self, base_model: str) -> PriceEntry | None:
        """The model catalog names each model's price key (a pinned version, `gemini-2.5-pro-001`,
        shares its family's); a model it does not list is looked up by its own id."""
        from ops.models.catalog import gemini_model

        listed = gemini_model(base_model)
        key = listed.price_key if listed and listed.price_key else f"gemini-tuning:{base_model}"
        return self.entries.get(key)

    def reinforcement_tuning(self, base_model: str) -> PriceEntry | None:
        """Reinforcement tuning's entry (`gemini-reinforcement-tuning:<model>`), keyed by the model's
        family as the catalog names it."""
        from ops.models.catalog import gemini_model

        listed = gemini_model(base_model)
        return self.entries.get(f"gemini-reinforcement-tuning:{listed.model_id if listed else base_model}")

    def pipeline_hourly(self, accelerator: str) -> PriceEntry | None:
        return self.entries.get(f"rlhf-pipeline:{accelerator}")


def _parse_table(text: str, where: str) -> tuple[dict[str, str], list[PriceEntry]]:
    def invalid(why: str) -> TunectlError:
        return TunectlError(
            "price-table-invalid",
            f"the price table is not a valid {FORMAT} file: {why}",
            where=where,
            hint="re-run `tunectl pricing refresh`, or delete the file to use the built-in table",
        )

    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise invalid(f"not JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise invalid(f"the top level is a JSON {type(raw).__name__}, not an object")
    if raw.get("format") != FORMAT:
        raise invalid(f"format is {raw.get('format')!r}, expected {FORMAT!r}")
    if "id" not in raw or not isinstance(raw.get("entries"), list):
        raise invalid("it needs an `id` and a list of `entries`")
    table_id = str(raw["id"])
    entries = []
    for index, item in enumerate(raw["entries"]):
        if not isinstance(item, dict):
            raise invalid(f"entry {index} is not an object")
        missing = [key for key in ("id", "engine", "unit", "currency", "date", "source") if key not in item]
        if missing:
            raise invalid(f"entry {index} has no {', '.join(missing)}")
        price = item.get("price")
        try:
            amount = None if price is None else Decimal(str(price))
        except InvalidOperation as exc:
            raise invalid(f"entry {item['id']!r}: the price {price!r} is not a number") from exc
        if amount is not None and not amount.is_finite():
            raise invalid(f"entry {item['id']!r}: the price {price!r} is not a finite number")
        entries.append(
            PriceEntry(
                id=str(item["id"]),
                description=str(item.get("description", "")),
                engine=str(item["engine"]),
                unit=str(item["unit"]),
                price=amount,
                currency=str(item["currency"]),
                date=str(item["date"]),
                source=str(item["source"]),
                table=table_id,
                confirmed=bool(item.get("confirmed", False)),
                base_model=item.get("base_model"),
                accelerator=item.get("accelerator"),
                region=item.get("region"),
                sku_id=item.get("sku_id"),
            )
        )
    header = {
        "id": table_id,
        "retrieved": str(raw.get("retrieved", "")),
        "source": str(raw.get("source", "")),
        "path": where,
    }
    return header, entries


def _read_table(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise TunectlError(
            "price-table-unreadable",
            f"cannot read the price table: {why}",
            where=str(path),
            hint="re-run `tunectl pricing refresh`, or delete the file to use the built-in table",
        ) from exc


def load_price_table(path: str | Path | None = None, *, use_refreshed: bool = True) -> PriceTable:
    """The built-in table, overlaid by the refreshed table (if any) and then by `path` (if given)."""
    table = PriceTable()
    sources: list[tuple[str, str]] = [
        (resources.files("ops.data").joinpath("prices.json").read_text(encoding="utf-8"), "built-in")
    ]
    refreshed = refreshed_table_path()
    if use_refreshed and refreshed.is_file():
        sources.append((_read_table(refreshed), str(refreshed)))
    if path is not None:
        sources.append((_read_table(Path(path)), str(path)))
    for text, where in sources:
        header, entries = _parse_table(text, where)
        table.tables.append(header)
        table.entries.update((e.id, e) for e in entries)
    return table


def entry_as_dict(entry: PriceEntry) -> dict[str, Any]:
    return {k: v for k, v in entry.__dict__.items() if v is not None}
