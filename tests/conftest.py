import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import Stack, start_stack  # noqa: E402


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    """The whole assistant, started once per test session with `onetrip up`."""
    running = start_stack(tmp_path_factory.mktemp("var"))
    yield running
    running.stop()
