"""What MatterMatcher and DepartmentRouter share beyond Rasa's component boilerplate: their model
is built from the catalogue directory (not from Rasa's NLU examples), pickled into Rasa's model
storage, and built again when the model holds none this code can use."""

from __future__ import annotations

import logging
import pickle
from typing import Any, Callable, TypeVar

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from bot.matching import pickled

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Sent through a loaded component once, so that its lazy parts (jieba segmenters, tables) are built
# while Rasa is still loading the model, not on the first citizen's message.
WARM_UP_TEXT = "身份证丢了怎么补办"

# A model trained by older code (another version, a moved class) or a resource never written.
UNUSABLE = (ValueError, OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError)


def persist(model_storage: ModelStorage, resource: Resource, filename: str, obj: Any) -> None:
    with model_storage.write_to(resource) as directory:
        pickled.dump(obj, directory / filename)


def restore(model_storage: ModelStorage, resource: Resource, filename: str, version: int,
            use: Callable[[Any], T], build: Callable[[], T], unusable: str) -> T:
    """`use` of the object persisted under `filename`; else `build()`, with the warning `unusable`
    (its %s: why). The catalogue is the source of truth, so a component builds again rather than
    refuse to serve."""
    try:
        with model_storage.read_from(resource) as directory:
            return use(pickled.read(directory / filename, version))
    except UNUSABLE as exc:
        logger.warning(unusable, exc)
        return build()
