"""Tuning runs on Vertex AI: run ids and labels, upload, the two launchers, job state, evaluation.

Modules here import Google libraries inside functions (seconds of import time), so `tunectl --help`
stays fast; `ops.commands.tune` imports this package only inside its commands.
"""
