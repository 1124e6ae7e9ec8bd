"""Evaluation: datasets, the runner and metrics (evaluation.py), the abstention threshold's calibration
(calibration.py), the HTML report (report.py) and the plain LangChain baseline (baseline.py).

Nothing is imported here: `talentqa eval` loads what it runs.
"""
