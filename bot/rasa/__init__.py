"""Rasa 3.6 extensions that make the embedded default fast enough to serve many citizens.

Rasa Open Source 3.6.21 is the last open-source release, so what is patched here will not move.
Measured effect (docs/bench.md): about 3× the throughput of the plain SQLite configuration.
"""
