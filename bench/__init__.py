"""Benchmarks of livetrust: ``python -m bench [--quick] [--json FILE] [--only NAME ...]``.

Each figure is printed next to a baseline measured in the same process and run, as a ratio, because the
machines these run on are small and noisy. Timings never decide a test: ``tests/bench`` only checks that
the harness works and produces well-formed rows. ``bench._runner.main`` is the entry point.
"""
