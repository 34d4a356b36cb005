"""FilterSets of the job app, one module per area."""
