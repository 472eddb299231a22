"""Outputs: evaluation report, per-office issue lists, dashboard CSV."""
