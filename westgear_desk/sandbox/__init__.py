"""Local fake servers of every external system, for the demo, tests and benchmarks; never imported by production code."""
