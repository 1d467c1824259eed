"""Benchmarks: ``python -m benchmarks`` (``make bench``), ``--quick`` for a smoke run.

Modules: :mod:`benchmarks.common` (timing, peak memory, statistics, machine),
:mod:`benchmarks.worker` (the measured steps, each run in its own process),
:mod:`benchmarks.suite` (the sections and the ladder), :mod:`benchmarks.profiling`
(query plans and Python profiles of the slowest steps), :mod:`benchmarks.docgen`
(``docs/performance.md`` from the JSON results) and
:mod:`benchmarks.snapshot_throughput` (``ihub snapshot`` against ``psql``'s COPY).
"""
