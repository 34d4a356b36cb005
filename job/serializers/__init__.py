"""Response and request shapes of the job app, one module per area; base.py holds the nested shapes
every area shares."""
