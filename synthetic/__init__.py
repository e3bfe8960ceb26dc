"""A synthetic shop: realistic, seeded event logs for the demo, the tests and the benchmarks."""
