"""Billing-export files (Parquet, newline-delimited JSON, CSV; globs; folders) as one DuckDB relation.

Every source is presented to the reconciliation in the export's own schema (`service.id`,
`labels[{key,value}]`, `credits[{amount,type}]`, TIMESTAMP columns...), so the same query runs on files
and on BigQuery. Only the columns the reconciliation reads are required: `price`, `tags`, `resource`,
`cost_at_list` and the rest may be absent, and standard and detailed table files mix freely.

Parquet keeps BigQuery's types. NDJSON (`bq extract --destination_format NEWLINE_DELIMITED_JSON`) and CSV
(nested columns as JSON text, as `TO_JSON_STRING` writes them; BigQuery cannot export nested columns to
CSV itself) are parsed row by row with TRY casts: a row whose line or column does not parse is not
dropped silently, it is reported by `row_problem` and counted per file and column.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.errors import ExitStatus, TunectlError

FORMATS = {
    ".parquet": "parquet",
    ".json": "ndjson",
    ".jsonl": "ndjson",
    ".ndjson": "ndjson",
    ".csv": "csv",
}
# Column paths the reconciliation reads; anything else in the export is ignored.
REQUIRED_PATHS = (
    "service.id",
    "service.description",
    "sku.id",
    "sku.description",
    "project.id",
    "labels",
    "credits",
    "cost",
    "currency",
    "usage_start_time",
    "usage_end_time",
    "export_time",
    "invoice.month",
)
# Read when present: exports made before Google added it, and hand-made files, count as `regular`.
OPTIONAL_PATHS = ("cost_type",)
_KV = "STRUCT(key VARCHAR, value VARCHAR)[]"
_NESTED_TYPES = {
    "service": "STRUCT(id VARCHAR, description VARCHAR)",
    "sku": "STRUCT(id VARCHAR, description VARCHAR)",
    "project": "STRUCT(id VARCHAR)",
    "invoice": "STRUCT(month VARCHAR)",
    "labels": _KV,
    "credits": "STRUCT(amount DOUBLE, type VARCHAR)[]",
}
_SCALAR_TYPES = {
    "cost": "DOUBLE",
    "currency": "VARCHAR",
    "usage_start_time": "TIMESTAMPTZ",
    "usage_end_time": "TIMESTAMPTZ",
    "export_time": "TIMESTAMPTZ",
    "cost_type": "VARCHAR",
}


@dataclass(frozen=True)
class Source:
    """A relation in the export schema, an expression naming each row's file, and one that names the
    column a row failed to parse in (NULL when it parsed)."""

    relation: str
    source_name: str
    problem: str | None
    files: tuple[Path, ...]


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in (".gz", ".zst"):
        name = name.removesuffix(suffix)
    return next((fmt for ext, fmt in FORMATS.items() if name.endswith(ext)), None)


def resolve_export_files(specs: Sequence[str]) -> list[Path]:
    """Files, globs and folders (searched recursively) into a sorted list of export files."""
    found: list[Path] = []
    for spec in specs:
        matches = [Path(p) for p in sorted(glob.glob(spec, recursive=True))] or [Path(spec)]
        for match in matches:
            if match.is_dir():
                found += sorted(p for p in match.rglob("*") if p.is_file() and _format_of(p))
            elif match.is_file():
                if not _format_of(match):
                    raise TunectlError(
                        "billing-export-format-unknown",
                        f"cannot tell the format of {match.name}",
                        where=str(match),
                        hint="name export files *.parquet, *.json/*.jsonl/*.ndjson or *.csv (optionally .gz)",
                    )
                found.append(match)
            else:
                raise TunectlError(
                    "billing-export-not-found",
                    f"no billing-export file matches {spec!r}",
                    where=spec,
                    hint="pass files, globs (quote them) or folders of Parquet, NDJSON or CSV exports",
                )
    if not found:
        raise TunectlError(
            "billing-export-empty",
            "no billing-export files were found",
            where=", ".join(specs),
            hint="folders are searched for *.parquet, *.json, *.jsonl, *.ndjson and *.csv",
        )
    return sorted(dict.fromkeys(found))


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _file_list(files: Sequence[Path]) -> str:
    return "[" + ", ".join(_sql_string(str(f)) for f in files) + "]"


def _missing_column(path: Path, column: str, detail: str = "") -> TunectlError:
    return TunectlError(
        "billing-export-missing-column",
        f"{path.name} has no column {column}{detail}",
        where=f"{path}: {column}",
        hint="export the whole billing table (standard or detailed); the reconciliation reads "
        + ", ".join(REQUIRED_PATHS),
        status=ExitStatus.USAGE,
    )


@dataclass(frozen=True)
class ParquetFile:
    path: Path
    optional: frozenset[str]  # the optional columns it has
    wrong_type: str | None  # the first required column whose type the reconciliation cannot read


# What each column must be for the query to bind: the fields a struct needs, or a type family. A file
# whose column has another shape (labels as text, cost as a struct) is skipped and counted, not read.
_PARQUET_SHAPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "service": ("struct", ("id", "description")),
    "sku": ("struct", ("id", "description")),
    "project": ("struct", ("id",)),
    "invoice": ("struct", ("month",)),
    "labels": ("list", ("key", "value")),
    "credits": ("list", ("amount", "type")),
    "cost": ("scalar", ("DOUBLE", "FLOAT", "DECIMAL", "BIGINT", "INTEGER", "HUGEINT", "VARCHAR")),
    "currency": ("scalar", ("VARCHAR",)),
    "usage_start_time": ("scalar", ("TIMESTAMP",)),
    "usage_end_time": ("scalar", ("TIMESTAMP",)),
    "export_time": ("scalar", ("TIMESTAMP",)),
}


def _shape_ok(sql_type: str, kind: str, needs: tuple[str, ...]) -> bool:
    if kind == "scalar":
        return sql_type.startswith(needs) and "[]" not in sql_type
    is_list = sql_type.endswith("[]")
    if sql_type.startswith("STRUCT(") is False or is_list != (kind == "list"):
        return False
    fields = set(re.findall(r'[(,]\s*"?(\w+)"?\s', sql_type))
    return set(needs) <= fields


def _check_parquet(con: Any, path: Path) -> ParquetFile:
    """Fails on a missing required column; notes a column of the wrong type (its rows are skipped)."""
    import duckdb

    relation = f"read_parquet({_sql_string(str(path))})"
    try:
        types = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    except duckdb.Error as exc:
        raise _unreadable(path, exc) from exc
    for column in REQUIRED_PATHS:
        try:
            con.execute(f"DESCRIBE SELECT {column} FROM {relation}")
        except duckdb.Error as exc:
            if "binder" not in type(exc).__name__.lower() and "Binder" not in str(exc):
                raise _unreadable(path, exc) from exc
            raise _missing_column(path, column) from exc
    wrong = next(
        (
            column
            for column, (kind, needs) in _PARQUET_SHAPES.items()
            if not _shape_ok(types[column], kind, needs)
        ),
        None,
    )
    return ParquetFile(path, frozenset(types) & frozenset(OPTIONAL_PATHS), wrong)


def _parquet_relation(con: Any, files: Sequence[Path]) -> str:
    checked = [_check_parquet(con, path) for path in files]
    readable = [f for f in checked if f.wrong_type is None]
    optional = {column for f in readable for column in f.optional}
    parts = []
    if readable:
        projected = ", ".join(
            [
                *dict.fromkeys(p.split(".")[0] for p in REQUIRED_PATHS),
                *(c if c in optional else f"CAST(NULL AS VARCHAR) AS {c}" for c in OPTIONAL_PATHS),
            ]
        )
        parts.append(
            f"SELECT filename, {projected}, CAST(NULL AS VARCHAR) AS _row_problem "
            f"FROM read_parquet({_file_list([f.path for f in readable])}, union_by_name = true, "
            "filename = true)"
        )
    # Files with a column of the wrong type only say how many rows they hold (and their newest
    # export_time when it is a time): the rows are counted as skipped under that column.
    for f in checked:
        if f.wrong_type is None:
            continue
        typed = (
            "TRY_CAST(export_time AS TIMESTAMPTZ)"
            if f.wrong_type != "export_time"
            else "CAST(NULL AS TIMESTAMPTZ)"
        )
        parts.append(
            f"SELECT filename, {typed} AS export_time, "
            f"{_sql_string(f.wrong_type)} AS _row_problem "
            f"FROM read_parquet({_sql_string(str(f.path))}, filename = true)"
        )
    if not readable:
        # Every file is unreadable: an empty relation of the right shape keeps the queries binding.
        columns = ", ".join(
            [
                f"CAST(NULL AS {_NESTED_TYPES.get(c) or _SCALAR_TYPES[c]}) AS {c}"
                for c in [*_NESTED_TYPES, *_SCALAR_TYPES]
            ]
        )
        parts.insert(
            0,
            f"SELECT CAST(NULL AS VARCHAR) AS filename, {columns}, CAST(NULL AS VARCHAR) AS _row_problem "
            "WHERE false",
        )
    return " UNION ALL BY NAME ".join(f"({part})" for part in parts)


def _first_line(exc: BaseException) -> str:
    """The first line of a DuckDB error, without the SQL text and sniffer report that follow."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _unreadable(path: Path, exc: BaseException) -> TunectlError:
    return TunectlError(
        "billing-export-unreadable",
        f"{path.name} cannot be read: {_first_line(exc)}",
        where=str(path),
        hint="check the file is a complete Parquet, NDJSON or CSV export",
    )


def _typed(get: Callable[[str], str]) -> tuple[list[str], str]:
    """The export columns from JSON values, each TRY-cast, and an expression naming the first column
    that is present but does not parse."""
    columns: list[str] = []
    problems: list[str] = []
    for name, sql_type in _NESTED_TYPES.items():
        raw = get(name)
        columns.append(f"TRY_CAST({raw} AS {sql_type}) AS {name}")
        problems.append(
            f"WHEN {raw} IS NOT NULL AND json_type({raw}) <> 'NULL' "
            f"AND TRY_CAST({raw} AS {sql_type}) IS NULL "
            f"THEN {_sql_string(name)}"
        )
    # A credit whose amount does not parse would otherwise be read as a NULL amount inside a list
    # that casts fine, and vanish from the sum: compare how many amounts the JSON has with how many
    # survive the cast.
    credits_raw, credits_type = get("credits"), _NESTED_TYPES["credits"]
    problems.append(
        f"WHEN json_type({credits_raw}) = 'ARRAY' AND "
        f"len(list_filter(json_extract({credits_raw}, '$[*].amount'), lambda x: json_type(x) <> 'NULL')) "
        f"<> len(list_filter(TRY_CAST({credits_raw} AS {credits_type}), lambda c: c.amount IS NOT NULL)) "
        "THEN 'credits.amount'"
    )
    for name, sql_type in _SCALAR_TYPES.items():
        raw = f"({get(name)} ->> '$')"
        columns.append(f"TRY_CAST({raw} AS {sql_type}) AS {name}")
        problems.append(
            f"WHEN {raw} IS NOT NULL AND TRY_CAST({raw} AS {sql_type}) IS NULL THEN {_sql_string(name)}"
        )
    return columns, "CASE " + " ".join(problems) + " END"


# Columns a real export may leave out of every line of a file (BigQuery's JSON export omits null
# values): a file of tax rows has no project, a file of unlabelled usage no labels or credits. Every
# other required column is on every row of an export, so a file none of whose lines has it is not an
# export of the billing table (the same error as a Parquet or CSV file without the column).
_NDJSON_MAY_LACK = frozenset({"project", "labels", "credits"})


def _ndjson_lines(files: Sequence[Path]) -> str:
    # Each line is read as text and parsed here, so a line that is not JSON is counted, not lost.
    return (
        f"read_csv({_file_list(files)}, columns = {{'line': 'VARCHAR'}}, header = false, delim = chr(1), "
        "quote = '', escape = '', auto_detect = false, filename = true)"
    )


def _check_ndjson_columns(con: Any, files: Sequence[Path]) -> None:
    """Fails on a file whose JSON lines never carry a required column."""
    import duckdb

    needed = [c for c in dict.fromkeys(p.split(".")[0] for p in REQUIRED_PATHS) if c not in _NDJSON_MAY_LACK]
    counts = ", ".join(f"count(TRY_CAST(line AS JSON) -> {_sql_string(c)})" for c in needed)
    try:
        rows = con.execute(
            f"SELECT filename, count(*) FILTER (WHERE json_valid(line)), {counts} "
            f"FROM {_ndjson_lines(files)} WHERE trim(line) <> '' GROUP BY filename"
        ).fetchall()
    except duckdb.Error as exc:
        raise _unreadable(files[0], exc) from exc
    by_name = {str(path): path for path in files}
    for row in sorted(rows, key=lambda r: str(r[0])):
        if not row[1]:
            continue  # no line is JSON: each is skipped and counted as `line (not JSON)`
        missing = next((c for c, n in zip(needed, row[2:], strict=True) if not n), None)
        if missing is not None:
            path = by_name.get(str(row[0]), Path(str(row[0])))
            raise _missing_column(path, missing, " on any line")


def _ndjson_relation(con: Any, files: Sequence[Path]) -> tuple[str, str]:
    _check_ndjson_columns(con, files)
    lines = _ndjson_lines(files)
    columns, problem = _typed(lambda name: f"(TRY_CAST(line AS JSON) -> {_sql_string(name)})")
    problem = f"CASE WHEN NOT json_valid(line) THEN 'line (not JSON)' ELSE {problem} END"
    relation = (
        f"(SELECT filename, {', '.join(columns)}, {problem} AS _row_problem "
        f"FROM {lines} WHERE trim(line) <> '')"
    )
    return relation, "filename"


def _csv_relation(con: Any, files: Sequence[Path]) -> tuple[str, str]:
    present: set[str] = set()
    import duckdb

    for path in files:
        try:
            header = {
                row[0]
                for row in con.execute(
                    "DESCRIBE SELECT * FROM "
                    f"read_csv({_sql_string(str(path))}, all_varchar = true, header = true)"
                ).fetchall()
            }
        except duckdb.Error as exc:
            # DuckDB's CSV sniffer explains itself in twenty lines; its first one says what went wrong.
            raise TunectlError(
                "billing-export-unreadable",
                f"{path.name} is not a CSV file with a header row: {_first_line(exc)}",
                where=str(path),
                hint="export the billing table as CSV with a header (nested columns as JSON text), "
                "or use Parquet or NDJSON",
                status=ExitStatus.USAGE,
            ) from exc
        for column in {p.split(".")[0] for p in REQUIRED_PATHS}:
            if column not in header:
                raise _missing_column(path, column, " in its header")
        present |= header
    raw = (
        f"read_csv({_file_list(files)}, all_varchar = true, header = true, union_by_name = true, "
        "filename = true)"
    )

    def get(name: str) -> str:
        # Nested columns hold JSON text; scalars are plain text (quoted to look like JSON strings).
        if name in _NESTED_TYPES:
            return f"TRY_CAST({name} AS JSON)"
        if name not in present:  # an optional column no file has
            return "CAST(NULL AS JSON)"
        return f"to_json({name})"

    columns, problem = _typed(get)
    nested_bad = " ".join(
        f"WHEN {name} IS NOT NULL AND {name} <> '' AND NOT json_valid({name}) THEN {_sql_string(name)}"
        for name in _NESTED_TYPES
    )
    relation = (
        f"(SELECT filename, {', '.join(columns)}, CASE {nested_bad} ELSE {problem} END AS _row_problem "
        f"FROM {raw})"
    )
    return relation, "filename"


def duckdb_source(con: Any, paths: Sequence[Path]) -> Source:
    """One relation over every file; schemas are checked per file so a diagnostic names the file."""
    by_format: dict[str, list[Path]] = {}
    for path in paths:
        fmt = _format_of(path)
        assert fmt is not None  # resolve_export_files only returns known formats
        by_format.setdefault(fmt, []).append(path)
    if len(by_format) > 1:
        raise TunectlError(
            "billing-export-mixed-formats",
            f"the export files mix formats ({', '.join(sorted(by_format))})",
            where=", ".join(str(files[0]) for files in by_format.values()),
            hint="reconcile one format per run: pass only the Parquet, NDJSON or CSV files",
        )
    parts: list[str] = []
    for fmt, files in sorted(by_format.items()):
        if fmt == "parquet":
            parts.append(f"SELECT * FROM ({_parquet_relation(con, files)})")
        elif fmt == "ndjson":
            relation, _ = _ndjson_relation(con, files)
            parts.append(f"SELECT * FROM {relation}")
        else:
            relation, _ = _csv_relation(con, files)
            parts.append(f"SELECT * FROM {relation}")
    return Source(
        relation=f"({parts[0]})", source_name="filename", problem="_row_problem", files=tuple(paths)
    )
