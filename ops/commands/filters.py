"""`--filter` and `--limit` for list commands, in the spirit of gcloud's (`gcloud topic filters`,
https://cloud.google.com/sdk/gcloud/reference/topic/filters, read 2026-12-02).

A filter is evaluated on each row's JSON form, so its keys are the field names `--format json` shows
(dotted for nested fields, `labels.team`). The subset supported:

    key=value  key!=value     equal (numbers compare as numbers; strings exactly); `=(a,b)` is any of
    key<n  key<=n  key>n  key>=n
    key:text                  contains, ignoring case; `*` is a wildcard (`id:gem-*`), `key:*` exists
    key~regex  key!~regex
    NOT term, -term, a AND b, a b (AND), a OR b (AND binds tighter), ( ... )

A list-valued key matches when any element does. `--limit N` keeps the first N rows that pass, after
the filter, as gcloud applies them. Adopting both in a list command:

    def list_things(..., where: FilterOption = None, limit: LimitOption = None):
        rows = select(rows, where, limit)
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer

from ops.errors import TunectlError

T = TypeVar("T")

FilterOption = Annotated[
    str | None,
    typer.Option(
        "--filter",
        metavar="EXPR",
        help="keep rows matching EXPR, on the json field names: 'region=us-central1 AND limit<64'",
    ),
]
LimitOption = Annotated[int | None, typer.Option("--limit", min=1, help="show at most this many rows")]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>\() | (?P<close>\)) |
        (?P<term>-?[A-Za-z_][\w.]*\s*(?:!=|!~|<=|>=|=|<|>|:|~)\s*
            (?:\((?:[^()'"]|'[^']*'|"[^"]*")*\)|'[^']*'|"[^"]*"|[^\s()]+)) |
        (?P<word>NOT|AND|OR)(?=[\s(]|$) |
        (?P<bad>\S+)
    )""",
    re.X,
)
_TERM = re.compile(
    r"(?P<neg>-?)(?P<key>[A-Za-z_][\w.]*)\s*(?P<op>!=|!~|<=|>=|=|<|>|:|~)\s*(?P<value>.+)", re.S
)

Predicate = Callable[[dict[str, Any]], bool]


def _syntax(expression: str, why: str) -> TunectlError:
    return TunectlError(
        "filter-invalid",
        f"cannot read the filter {expression!r}: {why}",
        where="--filter",
        hint="write terms like key=value, key:text, key<10, joined by AND / OR / NOT, e.g. "
        "--filter 'region=us-central1 AND limit<64'",
    )


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _lookup(row: Any, key: str) -> tuple[bool, Any]:
    for part in key.split("."):
        if isinstance(row, dict) and part in row:
            row = row[part]
        else:
            return False, None
    return True, row


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(actual: Any, op: str, wanted: str) -> bool:
    if isinstance(actual, list):
        return any(_compare(item, op, wanted) for item in actual)
    if op in {"=", "!="} and wanted.startswith("(") and wanted.endswith(")"):
        options = [_unquote(v) for v in wanted[1:-1].split(",")]
        hit = any(_compare(actual, "=", option) for option in options)
        return hit if op == "=" else not hit
    if actual is None:
        return op in {"!=", "!~"}
    text = str(actual).lower() if isinstance(actual, bool) else str(actual)
    if op == ":":
        if wanted == "*":
            return True
        pattern = wanted.lower() if "*" in wanted else f"*{wanted.lower()}*"
        return fnmatch.fnmatchcase(text.lower(), pattern)
    if op in {"~", "!~"}:
        found = re.search(wanted, text) is not None
        return found if op == "~" else not found
    a, b = _number(actual), _number(wanted)
    if op in {"=", "!="}:
        equal = a == b if a is not None and b is not None else text == wanted
        return equal if op == "=" else not equal
    if a is None or b is None:
        left, right = text, wanted
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def parse_filter(expression: str) -> tuple[Predicate, set[str]]:
    """The predicate of `expression`, and the keys it names."""
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(expression):
        kind = match.lastgroup or "bad"
        if kind == "bad":
            raise _syntax(expression, f"{match.group(kind)!r} is not a term like key=value")
        tokens.append((kind, match.group(kind)))
    keys: set[str] = set()
    position = 0

    def peek() -> tuple[str, str] | None:
        return tokens[position] if position < len(tokens) else None

    def term() -> Predicate:
        nonlocal position
        token = peek()
        if token is None:
            raise _syntax(expression, "it ends where a term was expected")
        position += 1
        kind, text = token
        if kind == "word" and text == "NOT":
            inner = term()
            return lambda row: not inner(row)
        if kind == "open":
            inner = either()
            if peek() != ("close", ")"):
                raise _syntax(expression, "a '(' is not closed")
            position += 1
            return inner
        if kind != "term":
            raise _syntax(expression, f"{text!r} where a term was expected")
        parts = _TERM.fullmatch(text)
        assert parts is not None
        negate, key, op = parts["neg"] == "-", parts["key"], parts["op"]
        wanted = _unquote(parts["value"])
        if op in {"~", "!~"}:
            try:
                re.compile(wanted)
            except re.error as exc:
                raise _syntax(expression, f"the regular expression {wanted!r} is invalid ({exc})") from None
        keys.add(key)

        def check(row: dict[str, Any]) -> bool:
            found, actual = _lookup(row, key)
            result = found and ((op == ":" and wanted == "*") or _compare(actual, op, wanted))
            if not found:
                result = op in {"!=", "!~"}
            return not result if negate else result

        return check

    def both() -> Predicate:
        nonlocal position
        parts = [term()]
        while (token := peek()) is not None and token not in {("word", "OR"), ("close", ")")}:
            if token == ("word", "AND"):
                position += 1
            parts.append(term())
        return lambda row: all(p(row) for p in parts)

    def either() -> Predicate:
        nonlocal position
        parts = [both()]
        while peek() == ("word", "OR"):
            position += 1
            parts.append(both())
        return lambda row: any(p(row) for p in parts)

    if not tokens:
        raise _syntax(expression, "it is empty")
    predicate = either()
    if position != len(tokens):
        raise _syntax(expression, f"unexpected {tokens[position][1]!r}")
    return predicate, keys


def select(rows: Sequence[T], expression: str | None, limit: int | None = None) -> list[T]:
    """The rows that pass `expression` (on their JSON form), at most `limit` of them."""
    from ops.output import to_jsonable

    kept = list(rows)
    if expression:
        predicate, keys = parse_filter(expression)
        records = [to_jsonable(row) for row in kept]
        if records:
            unknown = sorted(key for key in keys if not any(_lookup(r, key)[0] for r in records))
            if unknown:
                fields = sorted({k for r in records if isinstance(r, dict) for k in r})
                raise TunectlError(
                    "filter-unknown-key",
                    f"no row has the field(s) {', '.join(unknown)}",
                    where="--filter",
                    hint=f"the fields are those of --format json: {', '.join(fields)}",
                )
        kept = [row for row, record in zip(kept, records, strict=True) if predicate(record)]
    return kept[:limit] if limit is not None else kept
