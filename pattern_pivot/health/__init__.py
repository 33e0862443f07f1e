"""The run-health report: what failed, retried or is stuck, built from plain records (the
Dagster-reading adapter lives in pattern_pivot/cli/report.py)."""
