"""Orchestration of the exchange and the trading clients on loopback: start, status and stop
of a run (run.py), the live demo (demo.py, whose comparison of the idle strategies reads its
figures in idle_compare.py) and the soak (soak.py with its market data checker md_check.py);
also clang-tidy over the sources (tidy.py) and the fuzz targets (fuzz.py), whose child
processes run with a time bound (bounded.py). Standard library only.
The processes of a run are defined once, in processes.py; each writes its exit summary as
JSON (--summary-json), read by summary.py. How to run them: docs/operations.md."""
