"""Benchmark harness behind `bench/run`: dnsd vs Knot DNS vs NSD vs the floor.

Python 3.11 standard library only, so CI needs nothing but Debian packages.
"""
