"""`make bench`: Attrium against the ceilings of the machine it runs on.

Nothing here runs in `make test`; see docs/benchmarks.md for what is measured and how.
"""
