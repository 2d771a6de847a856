"""What-if sweeps and robust plans: scenario files, applying a scenario to a spec and catalog,
solving every scenario locally or on Ray, checking a fixed plan in each, and one fleet robust
to many scenarios. Import the modules you need; where tasks run (a process pool or Ray) is
`planner.compute`, and Ray only loads with `planner.compute.ray_executor`.
"""
