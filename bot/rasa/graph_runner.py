"""Rasa runs its model's graph through dask's synchronous scheduler (`DaskGraphRunner.run`): for
each message's NLU and for each policy prediction it walks the schema again for the nodes the
targets need (`minimal_graph_schema`, a recursive walk without memo), builds a dask task graph and
lets dask order, wrap and run its eleven tasks. Under load that scheduling was a fifth of the NLU's
CPU, about 0.6 ms per message (cProfile, docs/bench-compare-2026-12.md "Re-run 2026-12-04 (b)").

Here the nodes a set of targets needs, in an order where each comes after what it needs, are
worked out once per runner and set of targets; then each node is called as dask calls it: with the
`(name, output)` pair of every node or input it needs, or the bare name of one nothing provides.
The inputs are checked as Rasa checks them, a RuntimeError is Rasa's GraphRunError, and the result
is the targets' outputs by name: the same graph, the same calls, the same answers
(tests/e2e/test_turn_end.py runs both on the same messages and conversations).

Also: `Domain.is_empty()` (asked by the processor for every message) builds and serialises an empty
domain to compare with; a loaded domain does not change, so the answer is kept on it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain

Plan = Tuple[Tuple[Text, Tuple[Text, ...]], ...]  # (node, the names it needs), in running order


def plan(runner: DaskGraphRunner, targets: Tuple[Text, ...]) -> Plan:
    """The nodes `targets` need, each after everything it needs."""
    plans: Dict[Tuple[Text, ...], Plan] = runner.__dict__.setdefault("_onetrip_plans", {})
    found = plans.get(targets)
    if found is None:
        nodes = runner._graph_schema.minimal_graph_schema(list(targets)).nodes
        order: List[Tuple[Text, Tuple[Text, ...]]] = []
        placed: set = set()

        def place(name: Text) -> None:
            if name in placed or name not in nodes:
                return  # done already, or an input placeholder
            placed.add(name)
            needs = tuple(nodes[name].needs.values())
            for need in needs:
                place(need)
            order.append((name, needs))

        for name in nodes:
            place(name)
        found = plans[targets] = tuple(order)
    return found


_rasa_run = DaskGraphRunner.run


def run(self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None,
        targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    steps = plan(self, run_targets)
    values: Dict[Text, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and any(value == node for node, _needs in steps):
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the input "
                f"names passed to the `run` method are the same as node names in the graph schema."
            )
        values[name] = (name, value)
    try:
        for name, needs in steps:
            values[name] = self._instantiated_nodes[name](*[values.get(need, need) for need in needs])
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(values[target] for target in run_targets)


_rasa_is_empty = Domain.is_empty


def is_empty(self: Domain) -> bool:
    known = self.__dict__.get("_onetrip_is_empty")
    if known is None:
        known = self.__dict__["_onetrip_is_empty"] = _rasa_is_empty(self)
    return known


def install() -> None:
    """Idempotent."""
    DaskGraphRunner.run = run  # type: ignore[assignment]
    Domain.is_empty = is_empty  # type: ignore[assignment]
