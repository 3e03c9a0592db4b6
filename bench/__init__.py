"""Benchmarks (not part of pytest): ``python -m bench`` runs the API benchmark; see bench/README.md."""
