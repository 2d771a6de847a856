"""Local fake cloud APIs for the refresh tests: HTTP servers on 127.0.0.1, real answer shapes."""
