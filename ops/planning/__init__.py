"""Planning a run before it starts: steps, tokens, duration and cost from the dated price table.

`plan.py` turns validated datasets and hyperparameters into a `RunPlan`; `prices.py` reads the
`tunectl-prices/1` table (built in, or refreshed from the Cloud Billing Catalog API).
"""
