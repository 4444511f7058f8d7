"""Scheduled runs: the stack's Cloud Scheduler jobs that create tuning and pipeline jobs (infra/schedules.py).

`api` reads and pauses them through the Cloud Scheduler API, `runs` finds the jobs each firing created
(by the `tunectl-schedule` label) and gives them run ids, `check` is the launch gate for a schedule's
next firing.
"""
