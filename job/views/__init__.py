"""Views of the job app, one module per area: jobs.py (jobs, executions, input files, logs)."""
