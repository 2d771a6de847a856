"""What-if sweeps and robust plans: scenario files, applying a scenario to a spec and catalog,
solving every scenario locally or on Ray, checking a fixed plan in each, and one fleet robust
to many scenarios. Import the modules you need; Ray only loads with `planner.sweep.ray_executor`.
"""
