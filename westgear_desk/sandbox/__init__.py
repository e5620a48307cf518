"""Local fake servers of every external system, for the demo, tests and benchmarks.

Production code never imports this package (a test keeps it so).
"""
