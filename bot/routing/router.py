"""Which department handles a message, with a calibrated probability, or "none of ours".

Stages (a cascade, like the matter matcher's):

1. Lexical, always (~1 ms): character 1-3-grams and jieba words (TF-IDF) of the whole message,
   its main request counted twice, into a linear SVM over 21 departments and "none".
2. Outside gate, always: a logistic layer over the SVM's margins, how many of the message's words
   the knowledge knows, and places (another province named, no Zhejiang place) says whether the
   message belongs to none of our departments.
3. Semantic, only when the lexical department is unsure (probability under CASCADE_BELOW): the
   message (its main request and opening when long) is embedded with e5 and the nearest knowledge
   phrasings vote (bot/routing/dense.py); the vote's log is added to the SVM margins.

A confident matter from the MatterMatcher outranks the router (the catalogue names the matter's
department); when they differ, ``Route.reason`` says why, in Chinese, for staff.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from bot.matching.matcher import SEMANTIC_MAX_MATTERS
from bot.matching.pickled import read_cached, write_cached
from bot.routing.features import Features, Featurizer, Linear
from bot.routing.knowledge import Knowledge, knowledge_fingerprint, load_knowledge
from bot.routing.places import place_signals
from bot.routing.request_type import RequestTyper
from bot.routing.text import Prepared, prepare
from bot.routing.training import NONE, examples
from bot.vocabulary import RequestType

if TYPE_CHECKING:  # pragma: no cover
    from bot.catalogue import Catalogue

logger = logging.getLogger(__name__)

ROUTER_VERSION = 2
_SOURCES = ("router.py", "features.py", "training.py", "text.py", "places.py", "dense.py", "request_type.py",
            "knowledge.py")

# Every constant marked "fit" comes from benchmarks/routing/fit_router.py, run on writers A's and B's
# routed messages (data/catalogue/routed/, by a classifier that had not learnt them) and the matcher's fit queries (dev_queries.yml,
# blind_fit_queries.yml); never on a held-out set (holdout_C.yml, blind_holdout_queries.yml).
SVM_C = 0.33
GATE_FEATURES = (
    "top",          # best department margin of the SVM
    "margin",       # its lead over the runner-up department
    "none",         # the SVM's margin for "none of ours"
    "none_lead",    # "none" minus the best department
    "known",        # share of the message's words the knowledge has seen
    "other_place",  # a place outside Zhejiang is named (not as where the citizen comes from)
    "zj_place",     # a Zhejiang place is named
    "elsewhere",    # another place is named and no Zhejiang place
    "possessive",   # "上海的居住证", "苏州那边": the matter is in that other place
    "mentions",     # how often other places are named, min(n, 3) / 3
    "length",       # min(length, 200) / 200
)
GATE_WEIGHTS: Tuple[float, ...] = (  # fit; the last is the bias
    -0.634, -0.314, 2.141, 2.775, -2.082, 0.892, -1.060, 1.730, 2.615, 2.343, -1.473, 3.772)
OUTSIDE_ABOVE = 0.30     # fit: P(outside) above which the router says "none of ours"
SOFTMAX_T = 6.75         # fit: temperature turning department margins into probabilities
DENSE_WEIGHT = 0.30      # fit: weight of log(neighbour vote) added to the margins
CASCADE_BELOW = 0.70     # fit: embed only when the lexical department's probability is under this
MATTER_CONFIDENT = 0.80  # fit: a matched matter this sure (and not "which one?") votes for its department
MATTER_WEIGHT = 3.0      # fit: the weight of that vote (× the matter's score), in softmax units
MATTER_GATE = 2.0        # fit: and how much it lowers the outside gate's logit (× its score)
TOP_N = 3
KEEP_ROUTERS = 3
VOTING_SOURCES = ("asks", "complaints", "requests", "suggestions", "outside", "routed")


@dataclass(frozen=True)
class MatterHint:
    """The MatterMatcher's best matter, as far as routing cares.

    The catalogue names a matter's department, but a matter matched inside a longer story is
    often not what the story asks for ("起诉离婚去哪个法院" matches 离婚登记): so a confident matter
    votes (MATTER_WEIGHT) rather than decides."""

    matter: str
    name: str
    department: str
    score: float
    confident: bool

    @classmethod
    def from_match(cls, match: Optional[Mapping[str, Any]]) -> Optional["MatterHint"]:
        """From the ``matter_match`` property ({"abstain", "clarify", "matches": [...]})."""
        if not match or match.get("abstain") or not match.get("matches"):
            return None
        best = match["matches"][0]
        score = float(best.get("score") or 0.0)
        return cls(str(best.get("matter", "")), str(best.get("name") or best.get("matter", "")),
                   str(best.get("department", "")), score,
                   confident=not match.get("clarify") and score >= MATTER_CONFIDENT)


@dataclass
class Route:
    code: Optional[str]                   # department code; None when outside every department
    name: Optional[str]                   # its Chinese name
    score: float                          # calibrated probability that this answer is right
    type: RequestType                     # 咨询 / 投诉 / 建议 / 求助
    ranking: List[Tuple[str, float]]      # the top departments with their probabilities
    outside: bool                         # belongs to no department of ours
    agrees_with_matter: Optional[bool] = None  # None: no matter matched
    reason: Optional[str] = None          # why the answer differs from the router's or the matter's
    path: str = "lexical"                 # which stage answered: lexical or semantic (not in payloads)

    def brief(self) -> Optional[Dict[str, Any]]:
        """``onetrip match``'s "department" field: null when outside every department."""
        if self.outside or not self.code:
            return None
        return {"code": self.code, "name": self.name, "score": round(self.score, 4)}

    def to_dict(self) -> Dict[str, Any]:
        """The ``department_route`` message property."""
        return {
            "code": self.code, "name": self.name, "score": round(self.score, 4), "type": self.type.value,
            "outside": self.outside,
            "ranking": [{"code": c, "score": round(s, 4)} for c, s in self.ranking],
            "agrees_with_matter": self.agrees_with_matter, "reason": self.reason,
        }


@dataclass
class _Lexical:
    """Per-message results of the always-on stages, for a batch."""

    prepared: List[Prepared]
    margins: np.ndarray    # (n, classes) SVM margins
    outside: np.ndarray    # (n,) P(outside)
    features: np.ndarray   # (n, len(GATE_FEATURES))
    lexical: List[Features]


class DepartmentRouter:
    def __init__(self, classes: List[str], names: Dict[str, str], featurizer: Featurizer, svm: Linear,
                 typer: RequestTyper, fingerprint: str = "") -> None:
        self.classes = classes
        self.names = names
        self.featurizer = featurizer
        self.svm = svm
        self.typer = typer
        self.vote: Any = None  # NeighbourVote, or None (words only, or not embedded yet: see voters)
        self.voters: Optional[Tuple[List[Tuple[str, str]], str, bool]] = None  # (text, label), cache key, use cache
        self.fingerprint = fingerprint
        self.version = ROUTER_VERSION
        self.none_index = classes.index(NONE)
        self.departments = np.array([i for i, c in enumerate(classes) if c != NONE])
        self.gate_weights = np.asarray(GATE_WEIGHTS, dtype=np.float64)
        self.outside_above = OUTSIDE_ABOVE
        self.softmax_t = SOFTMAX_T
        self.dense_weight = DENSE_WEIGHT
        self.cascade_below = CASCADE_BELOW
        self.matter_weight = MATTER_WEIGHT
        self.matter_gate = MATTER_GATE
        self._encoder: Any = None

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_encoder"] = None
        return state

    # -- building -------------------------------------------------------------------------
    @classmethod
    def fit(cls, knowledge: Knowledge, catalogue: Optional["Catalogue"] = None, semantic: bool = True,
            use_cache: bool = True, fingerprint: str = "", lazy: bool = False) -> "DepartmentRouter":
        """``lazy``: embed the knowledge only when a message first needs the semantic stage (tools
        that may never need it start at once); the Rasa component fits eagerly and persists the
        vectors with the model."""
        from sklearn.svm import LinearSVC

        data = examples(knowledge, catalogue)
        prepared = [prepare(e.text) for e in data]
        texts = [p.lexical for p in prepared]
        featurizer = Featurizer(_domain_words(knowledge, catalogue)).fit(texts)
        matrix = featurizer.matrix(texts)
        svm = Linear(LinearSVC(C=SVM_C).fit(matrix, [e.label for e in data], sample_weight=[e.weight for e in data]))
        classes = svm.classes
        typed = [i for i, e in enumerate(data) if e.type is not None]
        typer = RequestTyper().fit(matrix[typed], [data[i].type for i in typed])
        names = _department_names(knowledge, catalogue)
        router = cls(classes, names, featurizer, svm, typer, fingerprint=fingerprint)
        if semantic and catalogue is not None and _catalogue_size(catalogue) > SEMANTIC_MAX_MATTERS:
            # As the matcher does: with thousands of matters' aliases the words are unsure more
            # often, and embedding those messages would break the latency budget (docs/routing.md).
            logger.info("router: %d matters > %d: semantic stage off, words only",
                        _catalogue_size(catalogue), SEMANTIC_MAX_MATTERS)
            semantic = False
        if semantic:
            # Only the citizens' phrasings vote: topic words and catalogue aliases add nothing
            # to the neighbours (measured on the fitting sets) and would double the embedding time.
            voters = [(p.chunks[0], e.label) for p, e in zip(prepared, data) if e.source in VOTING_SOURCES and p.chunks]
            router.voters = (voters, fingerprint or knowledge.fingerprint, use_cache)
            if not lazy:
                router.ensure_vote()
        return router

    # -- stages ---------------------------------------------------------------------------
    @property
    def semantic(self) -> bool:
        return (self.vote is not None or self.voters is not None) and self._load_encoder() is not None

    def ensure_vote(self) -> Any:
        """The neighbour vote, embedding the knowledge phrasings on first use (cached on disk)."""
        if self.vote is None and self.voters is not None and self._load_encoder() is not None:
            from bot.routing.dense import NeighbourVote, embed_cached

            voters, key, use_cache = self.voters
            vectors = embed_cached(self._load_encoder(), [t for t, _ in voters], key, use_cache)
            index = {c: i for i, c in enumerate(self.classes)}
            self.vote = NeighbourVote(vectors, np.array([index[label] for _, label in voters]), len(self.classes))
        return self.vote

    def _load_encoder(self) -> Any:
        if self._encoder is None and (self.vote is not None or self.voters is not None):
            from bot.matching.semantic import load_encoder

            self._encoder = load_encoder() or False  # False: tried, unavailable (logged once)
        return self._encoder or None

    def lexical(self, texts: Sequence[str]) -> _Lexical:
        prepared = [prepare(t) for t in texts]
        feats = [self.featurizer.transform(p.lexical) for p in prepared]
        margins = np.vstack([self.svm.decision(f) for f in feats]) if feats else np.zeros((0, len(self.classes)))
        features = self._gate_features(prepared, feats, margins)
        z = features @ self.gate_weights[:-1] + self.gate_weights[-1]
        return _Lexical(prepared, margins, 1.0 / (1.0 + np.exp(-z)), features, feats)

    def _gate_features(self, prepared: List[Prepared], feats: List[Features], margins: np.ndarray) -> np.ndarray:
        if not len(margins):
            return np.zeros((0, len(GATE_FEATURES)))
        depts = margins[:, self.departments]
        ordered = np.sort(depts, axis=1)
        top, second = ordered[:, -1], ordered[:, -2]
        none = margins[:, self.none_index]
        vocabulary = self.featurizer.word_vocab
        rows = []
        for p, f in zip(prepared, feats):
            words = [w for w in f.words if len(w) > 1]
            known = sum(w in vocabulary for w in words) / len(words) if words else 0.0
            place = place_signals(p.normalized)
            rows.append((known, float(place.other), float(place.zhejiang), float(place.other and not place.zhejiang),
                         float(place.possessive), min(place.mentions, 3) / 3, min(len(p.normalized), 200) / 200))
        return np.column_stack([top, top - second, none, none - top, np.array(rows, dtype=np.float64)])

    def dense_votes(self, prepared: Prepared) -> Optional[np.ndarray]:
        """Log neighbour votes over the classes, from the message's chunks (None: no encoder)."""
        encoder = self._load_encoder()
        if encoder is None or not prepared.chunks or self.ensure_vote() is None:
            return None
        vectors = encoder.queries(prepared.chunks)
        votes = self.vote.votes(np.asarray(vectors).reshape(len(prepared.chunks), -1)).mean(axis=0)
        return np.log(votes)

    def probabilities(self, margins: np.ndarray, dense: Optional[np.ndarray] = None,
                      matter: Optional[MatterHint] = None) -> np.ndarray:
        """Department probabilities (given the message is for one of ours), over self.departments.

        A confident matter votes for its department with MATTER_WEIGHT × its score, in the same
        units as the margins: it carries a message the router is unsure of, not one it is sure of."""
        z = margins[self.departments].copy()
        if dense is not None:
            z += self.dense_weight * dense[self.departments]
        z = self.softmax_t * z
        if matter is not None and matter.confident and matter.department in self.classes:
            column = np.flatnonzero(self.departments == self.classes.index(matter.department))
            z[column] += self.matter_weight * matter.score
        z -= z.max()
        e = np.exp(z)
        return e / e.sum()

    # -- routing ---------------------------------------------------------------------------
    def route(self, text: str, matter: Optional[MatterHint] = None, semantic: Optional[bool] = None) -> Route:
        return self.route_many([text], [matter], semantic=semantic)[0]

    def route_many(self, texts: Sequence[str], matters: Optional[Sequence[Optional[MatterHint]]] = None,
                   semantic: Optional[bool] = None) -> List[Route]:
        """Route a batch (the lexical stage is vectorised; embeddings only for unsure messages).

        ``semantic``: None = the cascade; False = words only; True = embed every message."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        if not texts:
            return []
        matters = list(matters) if matters is not None else [None] * len(texts)
        lex = self.lexical(texts)
        routes = []
        for i, prepared in enumerate(lex.prepared):
            kind = self.typer.predict(lex.lexical[i], prepared.normalized, prepared.main)
            routes.append(self._decide(prepared, lex.margins[i], float(lex.outside[i]), kind, matters[i], semantic))
        return routes

    def _decide(self, prepared: Prepared, margins: np.ndarray, p_outside: float, kind: RequestType,
                matter: Optional[MatterHint], semantic: Optional[bool]) -> Route:
        if not prepared.normalized:
            return Route(None, None, 1.0, kind, [], outside=True, agrees_with_matter=None if matter is None else False)
        if matter is not None and matter.confident:
            # A confident matter is evidence the message is for one of ours.
            logit = math.log(max(p_outside, 1e-9) / max(1 - p_outside, 1e-9)) - self.matter_gate * matter.score
            p_outside = 1.0 / (1.0 + math.exp(-logit))
        outside = p_outside > self.outside_above
        dense = None
        path = "lexical"
        # Embed only when the words are unsure and no confident matter already speaks for a department.
        unsure = self.probabilities(margins).max() < self.cascade_below and not (matter and matter.confident)
        if semantic is not False and (semantic is True or (not outside and unsure)) and self.voters_or_vote:
            dense = self.dense_votes(prepared)
            path = "semantic" if dense is not None else path
        alone = self.probabilities(margins, dense)
        probs = self.probabilities(margins, dense, matter)
        order = np.argsort(-probs)[:TOP_N]
        ranking = [(self.classes[self.departments[j]], float((1 - p_outside) * probs[j])) for j in order]
        own = self.classes[self.departments[int(alone.argmax())]]
        if outside:
            route = Route(None, None, p_outside, kind, ranking, True, path=path)
        else:
            code, score = ranking[0]
            route = Route(code, self.names.get(code, code), score, kind, ranking, False, path=path)
        return self._explain(route, matter, own, float((1 - p_outside) * alone.max()))

    @property
    def voters_or_vote(self) -> bool:
        return self.vote is not None or self.voters is not None

    def _explain(self, route: Route, matter: Optional[MatterHint], own: str, own_score: float) -> Route:
        """Say, for staff, why the answer differs from the matched matter's department, or from
        what the router alone would have said."""
        if matter is None or not matter.department:
            return route
        route.agrees_with_matter = route.code == matter.department
        theirs = self.names.get(matter.department, matter.department)
        if route.agrees_with_matter:
            if own != matter.department:
                route.reason = (f"匹配到事项“{matter.name}”（{matter.score:.2f}），由{theirs}办理，以事项为准；"
                                f"仅按部门职责判断为{self.names.get(own, own)}（{own_score:.2f}）")
            return route
        said = f"候选事项“{matter.name}”（{matter.score:.2f}）属于{theirs}"
        if route.outside:
            ours = f"消息所问的事不归本系统任何部门（{route.score:.2f}）"
        else:
            ours = f"按部门职责，消息所问的事由{route.name}办理（{route.score:.2f}）"
        doubt = "但匹配不确定" if not matter.confident else "但事项只是消息里提到的一部分"
        route.reason = f"{said}，{doubt}；{ours}"
        return route


# -- helpers -------------------------------------------------------------------------------
def _catalogue_size(catalogue: "Catalogue") -> int:
    return len(catalogue.matters) + len(catalogue.bundles)


def _domain_words(knowledge: Knowledge, catalogue: Optional["Catalogue"]) -> List[str]:
    from bot.text.normalize import normalize

    words = set()
    for remit in knowledge.remits.values():
        words |= {normalize(str(t)) for t in remit.topics}
    if catalogue is not None:
        for guide in catalogue.all_guides():
            words |= {normalize(str(k)) for k in guide.keywords}
        for dept in catalogue.departments.values():
            words |= {normalize(str(a)) for a in dept.aliases}
    return sorted(w for w in words if len(w) > 1 and " " not in w)


def _department_names(knowledge: Knowledge, catalogue: Optional["Catalogue"]) -> Dict[str, str]:
    names = {code: code for code in knowledge.remits}
    if catalogue is not None:
        names.update({code: str(d.name) for code, d in catalogue.departments.items() if code in names})
    return names


def build_key() -> str:
    """ROUTER_VERSION plus a hash of the routing code: a cached router follows code edits."""
    digest = hashlib.sha1()
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return f"{ROUTER_VERSION}.{digest.hexdigest()[:10]}"


def router_fingerprint(catalogue_path: Union[str, Path, None] = None) -> str:
    """What a fitted router depends on: the catalogue, the remit files and the routing code."""
    from bot.catalogue import catalogue_fingerprint

    raw = f"{catalogue_fingerprint(catalogue_path)}-{knowledge_fingerprint(catalogue_path)}-{build_key()}"
    return hashlib.sha1(raw.encode()).hexdigest()[:20]


def build_router(catalogue_path: Union[str, Path, None] = None, semantic: bool = True,
                 use_cache: bool = True, lazy: bool = False) -> DepartmentRouter:
    from bot.catalogue import load_catalogue

    catalogue = load_catalogue(catalogue_path)
    knowledge = load_knowledge(catalogue_path, catalogue.departments)
    return DepartmentRouter.fit(knowledge, catalogue, semantic=semantic, use_cache=use_cache,
                                fingerprint=router_fingerprint(catalogue_path), lazy=lazy)


def load_router(catalogue_path: Union[str, Path, None] = None, semantic: bool = True,
                use_cache: bool = True) -> DepartmentRouter:
    """A fitted router for a catalogue directory, from var/cache when its inputs are unchanged.

    The knowledge phrasings are embedded when a message first needs the semantic stage (their
    vectors are cached too), so a tool that never needs it starts in a second or two."""
    from bot.settings import cache_dir

    fingerprint = router_fingerprint(catalogue_path)
    path = cache_dir() / f"router-{fingerprint}{'-sem' if semantic else ''}.pkl"
    cached = read_cached(path, ROUTER_VERSION, DepartmentRouter,
                         lambda exc: logger.warning("ignoring router cache %s: %s", path, exc)) if use_cache else None
    if cached is not None:
        return cached
    router = build_router(catalogue_path, semantic=semantic, use_cache=use_cache, lazy=True)
    if use_cache and write_cached(router, path):  # not written (read-only checkout): fitted again next time
        try:
            # Keep a few recent ones (tests and benchmarks route with other catalogues too).
            olds = sorted((p for p in path.parent.glob("router-*.pkl") if p != path),
                          key=lambda p: p.stat().st_mtime, reverse=True)
            for old in olds[KEEP_ROUTERS - 1:]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # another process pruned them meanwhile
    return router


def calibration_error(scores: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: how far the scores are from the observed accuracy."""
    s, r = np.asarray(scores, dtype=np.float64), np.asarray(right, dtype=np.float64)
    if not len(s):
        return 0.0
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (s >= lo) & ((s < hi) if hi < 1 else (s <= hi))
        if sel.any():
            total += sel.sum() / len(s) * abs(s[sel].mean() - r[sel].mean())
    return float(total)
