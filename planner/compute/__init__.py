"""Where parallel work runs: one small executor interface over a local process pool or Ray,
used by sweeps (one task per scenario) and the fleet solve (chunks of subproblems). Ray is
imported only by `planner.compute.ray_executor`, which `make_executor` loads when asked for.
"""
