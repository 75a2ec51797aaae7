"""Benchmarks: data preparation vs the lecture's loops, the profile suites, the full-profile workload."""
