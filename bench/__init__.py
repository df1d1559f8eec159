"""Benchmarks with in-run baselines (`python -m bench.engine`)."""
