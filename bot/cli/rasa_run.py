"""``python -m bot.cli.rasa_run run ...``: Rasa's own ``rasa`` command, with the HTTP API token
taken from the environment instead of the command line.

Rasa 3.6 reads ``--auth-token`` only from its command line, where every user of the machine sees
it (``ps``, /proc/<pid>/cmdline). `onetrip up` starts Rasa through this module instead: the token
reaches it in the environment (``RASA_TOKEN``, read by bot.settings like every variable; the
environment of a process is readable only by its owner) and is added to ``sys.argv`` inside the
process, which changes what argparse sees, not the process's visible command line.
"""

from __future__ import annotations

import sys
from typing import List, Optional


def rasa_argv(argv: List[str], token: str) -> List[str]:
    """The arguments Rasa's CLI parses: ours, plus the token for `run` ("=": it may start with "-")."""
    if not argv or argv[0] != "run" or any(a.startswith("--auth-token") for a in argv):
        return list(argv)
    return [*argv, f"--auth-token={token}"] if token else list(argv)


def main(argv: Optional[List[str]] = None) -> None:
    from bot.settings import load_settings

    args = list(sys.argv[1:] if argv is None else argv)
    token = load_settings().rasa_token
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *rasa_argv(args, token)]
    rasa_main()


if __name__ == "__main__":
    main()
