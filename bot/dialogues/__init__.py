"""Blind multi-turn dialogue scenarios (issue #15): their schema and loader (`scenarios`), and their
replay through the REST webhook of running servers with turn and conversation scoring (`replay`).

The command is `onetrip eval-dialogues` (bot/cli/eval_dialogues.py); the scenario files live in
tests/data/dialogues/ (fit_* is the fitting part, holdout_* the held-out part).
"""
