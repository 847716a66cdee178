"""Fixtures of the reliability suite: one split stack (rasa, actions, hall as separate processes,
the actions reaching the hall through a proxy the tests can hold) shared by the fault and the
bad-input tests, and a private copy of the model."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import faultstack  # noqa: E402


@pytest.fixture(scope="session")
def model(tmp_path_factory) -> Path:
    return faultstack.stamped_model_copy(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def split(tmp_path_factory, model):
    var_dir = tmp_path_factory.mktemp("split-var")
    stack = faultstack.build(var_dir, model)
    proxy = faultstack.HallProxy(stack.hall_url)
    stack.proxy = proxy
    stack.procs["actions"].env["HALL_URL"] = proxy.url
    try:
        stack.ensure_all_up()
        yield stack
    finally:
        stack.stop()
        proxy.close()


@pytest.fixture
def healthy(split):
    """Every test starts and ends with all three processes up."""
    split.ensure_all_up()
    yield split
    split.proxy.hold = False
    split.ensure_all_up()
