"""The launch gate: go / no-go / unknown for one run, before anything is uploaded or created.

`gate.py` runs the checks and decides the verdict; `budget.py` reads budgets and their headroom;
`spend.py` reads a budget period's spend from the billing export; `policy.py` reads the policy
pack's configuration so the gate obeys the same numbers as the stack's guardrails.
"""
