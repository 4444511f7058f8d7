"""Cost reconciliation: billed cost per tuning run from the Cloud Billing export, and finance reports.

`definition.py` holds the one reconciliation definition and renders it as SQL for each engine;
`sources.py` turns export files into DuckDB relations; `engines.py` runs the SQL on DuckDB or BigQuery;
`reconcile.py` assembles the result with exact decimals; `report.py` and `charts.py` render it.
"""
