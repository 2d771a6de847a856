"""Benchmarks: scale, plan quality, simulator speed and start-up. Run `python -m benchmarks.run`."""
