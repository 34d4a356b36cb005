"""Business operations of the job app, one module per area. Views, tasks, commands and tests call
these; each state change checks the current state and writes conditionally."""
