"""Benchmarks against the targets of DESIGN 5, each reported as a ratio to a baseline taken in the same run.

Run them with `make bench` (or `python -m benchmarks [scenario] [options]`); results are printed and written as
JSON under benchmarks/results/ (not committed: figures belong to the machine that measured them).
"""
