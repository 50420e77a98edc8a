"""Benchmarks, run on demand (not tests): see bench/README.md."""
