"""The node agent: runs the executions the scheduler placed on this node (manage.py run_node).

Modules: agent (the loop), runner (one execution), prepare (inputs, settings, working directory),
command (argv and environment), logs (capture and batching), outputs (capturing outputs),
processes (process groups).
"""
