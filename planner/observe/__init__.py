"""Monitoring and right-sizing: what a deployed plan really serves, beside what it predicted.

Sources (Prometheus, CloudWatch) turn metrics into an `Observation`; everything after that
(drift, calibration rows, right-sized specs, recommendations) works data to data. Cloud SDKs
are imported only inside the functions that call them.
"""
