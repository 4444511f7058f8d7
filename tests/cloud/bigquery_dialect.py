"""Is this GoogleSQL? The BigQuery test server's check before it runs a query in DuckDB.

Running the query proves its meaning; it cannot prove the text is BigQuery's: DuckDB accepts many
functions BigQuery lacks (`list_sum`, `list_filter`, `strftime`), so a query could pass here and
fail in BigQuery. So each query is also parsed with sqlglot's BigQuery grammar (a syntax error is
BigQuery's `invalidQuery`), and every function it calls must be a BigQuery function. Parsing alone
is not enough: sqlglot reads an unknown function as an anonymous call, and maps some other engines'
names onto its own typed nodes (`array_sum`, `len`, `bool_or` parse fine in its BigQuery dialect), so
the check is on the names as written, against the functions BigQuery documents.

Function names: GoogleSQL for BigQuery's function reference, one page per family
(https://cloud.google.com/bigquery/docs/reference/standard-sql/functions-and-operators and the
`*_functions` pages it links, read 2026-12-02). The families a billing query can need are listed in
full; the rest (geography, ML, search, HLL sketches, ...) are left out, so a query using one is
refused here until someone checks it and adds it.
"""

from __future__ import annotations

import itertools

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BIGQUERY_FUNCTIONS = _words(
    """
    ANY_VALUE ARRAY_AGG ARRAY_CONCAT_AGG AVG BIT_AND BIT_OR BIT_XOR COUNT COUNTIF GROUPING LOGICAL_AND
    LOGICAL_OR MAX MAX_BY MIN MIN_BY STRING_AGG SUM APPROX_COUNT_DISTINCT APPROX_QUANTILES
    APPROX_TOP_COUNT APPROX_TOP_SUM CORR COVAR_POP COVAR_SAMP STDDEV STDDEV_POP STDDEV_SAMP VARIANCE
    VAR_POP VAR_SAMP ARRAY ARRAY_CONCAT ARRAY_FIRST ARRAY_LAST ARRAY_LENGTH ARRAY_REVERSE ARRAY_SLICE
    ARRAY_TO_STRING GENERATE_ARRAY GENERATE_DATE_ARRAY GENERATE_TIMESTAMP_ARRAY UNNEST CAST SAFE_CAST
    PARSE_BIGNUMERIC PARSE_NUMERIC COALESCE IF IFNULL NULLIF CURRENT_DATE DATE DATE_ADD DATE_DIFF
    DATE_FROM_UNIX_DATE DATE_SUB DATE_TRUNC EXTRACT FORMAT_DATE LAST_DAY PARSE_DATE UNIX_DATE
    CURRENT_DATETIME DATETIME DATETIME_ADD DATETIME_DIFF DATETIME_SUB DATETIME_TRUNC FORMAT_DATETIME
    PARSE_DATETIME CURRENT_TIMESTAMP FORMAT_TIMESTAMP PARSE_TIMESTAMP STRING TIMESTAMP TIMESTAMP_ADD
    TIMESTAMP_DIFF TIMESTAMP_MICROS TIMESTAMP_MILLIS TIMESTAMP_SECONDS TIMESTAMP_SUB TIMESTAMP_TRUNC
    UNIX_MICROS UNIX_MILLIS UNIX_SECONDS ABS ACOS ASIN ATAN ATAN2 CEIL CEILING COS DIV EXP FLOOR
    GREATEST IEEE_DIVIDE IS_INF IS_NAN LEAST LN LOG LOG10 MOD POW POWER RAND RANGE_BUCKET ROUND
    SAFE_ADD SAFE_DIVIDE SAFE_MULTIPLY SAFE_NEGATE SAFE_SUBTRACT SIGN SIN SQRT TAN TRUNC ASCII
    BYTE_LENGTH CHAR_LENGTH CHARACTER_LENGTH CHR CODE_POINTS_TO_BYTES CODE_POINTS_TO_STRING COLLATE
    CONCAT CONTAINS_SUBSTR ENDS_WITH FORMAT FROM_BASE32 FROM_BASE64 FROM_HEX INITCAP INSTR LEFT LENGTH
    LOWER LPAD LTRIM NORMALIZE NORMALIZE_AND_CASEFOLD OCTET_LENGTH REGEXP_CONTAINS REGEXP_EXTRACT
    REGEXP_EXTRACT_ALL REGEXP_INSTR REGEXP_REPLACE REGEXP_SUBSTR REPEAT REPLACE REVERSE RIGHT RPAD
    RTRIM SAFE_CONVERT_BYTES_TO_STRING SOUNDEX SPLIT STARTS_WITH STRPOS SUBSTR SUBSTRING TO_BASE32
    TO_BASE64 TO_CODE_POINTS TO_HEX TRANSLATE TRIM UNICODE UPPER CUME_DIST DENSE_RANK NTILE
    PERCENT_RANK RANK ROW_NUMBER FIRST_VALUE LAG LAST_VALUE LEAD NTH_VALUE PERCENTILE_CONT
    PERCENTILE_DISC STRUCT FARM_FINGERPRINT MD5 SHA1 SHA256 SHA512 GENERATE_UUID JSON_QUERY JSON_VALUE
    JSON_QUERY_ARRAY JSON_VALUE_ARRAY TO_JSON TO_JSON_STRING PARSE_JSON
    """
)


# Words that precede `(` without calling a function: clauses, operators, and parameterized type names.
_NOT_CALLS = _words(
    """
    ALL AND ANY AS BETWEEN BY CASE CUBE DISTINCT ELSE EXCEPT EXISTS FROM GROUPING_SETS HAVING IN
    INTERSECT IS JOIN LATERAL LIKE NOT ON OR OVER QUALIFY ROLLUP SELECT SOME THEN UNION USING VALUES
    WHEN WHERE WINDOW WITH NUMERIC BIGNUMERIC DECIMAL BIGDECIMAL BYTES
    """
)


class NotBigQuery(ValueError):
    """The query is not GoogleSQL for BigQuery; the message says why, as BigQuery's would."""


def called_functions(sql: str) -> list[str]:
    """Every name written directly before `(`, upper-cased: the functions a query calls, as spelled.
    For a dotted call (`SAFE.DIVIDE(...)`) that is the part after the last dot."""
    tokens = sqlglot.tokenize(sql, read="bigquery")
    return [
        before.text.upper()
        for before, token in itertools.pairwise(tokens)
        if token.token_type == TokenType.L_PAREN
        and before.token_type != TokenType.STRING
        and before.text.isidentifier()
        and before.text.upper() not in _NOT_CALLS
    ]


def check_bigquery_sql(sql: str) -> None:
    """Raise NotBigQuery unless `sql` parses as BigQuery and calls only BigQuery functions."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="bigquery") if s is not None]
    except (ParseError, TokenError) as exc:
        raise NotBigQuery(f"Syntax error: {' '.join(str(exc).split())[:300]}") from None
    # sqlglot keeps what it cannot parse as an opaque command (`SELEC x`): only queries run here.
    if not statements or not all(isinstance(s, exp.Query) for s in statements):
        raise NotBigQuery("Syntax error: expected a query (SELECT or WITH ... SELECT)")
    for name in called_functions(sql):
        if name not in BIGQUERY_FUNCTIONS:
            raise NotBigQuery(f"Function not found: {name.lower()}")
