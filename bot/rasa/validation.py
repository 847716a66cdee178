"""Rasa validates every action-server response with `jsonschema.validate(result, schema)`
(rasa/core/actions/action.py, `RemoteAction._validate_action_result`), which checks the large
events schema and builds a new validator on every call: about half of the Rasa server's CPU
under load. Here the validator is built once; the schema and the error message are Rasa's."""

from __future__ import annotations

import functools
from typing import Any, Dict, Text

import jsonschema
from rasa.core.actions.action import RemoteAction


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        response_validator().validate(result)
        return True
    except jsonschema.ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid."
        )
        raise error


def install() -> None:
    """Idempotent: replace Rasa's per-call validation by the cached validator."""
    RemoteAction._validate_action_result = _validate_action_result
