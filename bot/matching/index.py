"""The search index built from the catalogue: vocabulary, postings and phrase tables.

Everything a query needs is precomputed here as dicts and numpy arrays, so answering a query
is a handful of dict lookups and vector operations, with no spaCy call on the hot path.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

import numpy as np

from bot.matching.lexicon import ASKING_NOUNS, GENERIC_WORDS, KIND_HINTS, VERB_COMPOUNDS, lexicon_words, synonym_map
from bot.text.normalize import normalize
from bot.matching.typos import Repairer

if TYPE_CHECKING:  # pragma: no cover
    import jieba
    from bot.catalogue import Catalogue

INDEX_VERSION = 18
MAX_PHRASE = 16  # longest alias we look for verbatim; longer ones still match by units
# Field weights of the BM25F document: aliases and keywords are how people talk.
FIELD_WEIGHTS = {"name": 1.5, "alias": 2.0, "keyword": 2.0, "summary": 0.6}
BM25_K1, BM25_B = 1.2, 0.5
COMMON_WORD_FREQ = 100  # jieba dictionary count above which a word is ordinary language
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
# The modules whose code decides what an index holds (words, synonyms, stop words, vectors).
_BUILD_SOURCES = ("index.py", "lexicon.py", "typos.py", "semantic.py", "../text/normalize.py", "../text/regions.py")


@lru_cache(maxsize=1)
def build_key() -> str:
    """INDEX_VERSION plus a hash of the code that builds an index: cached indexes and the Rasa
    component's fingerprint follow an edit of the lexicon (a synonym, a stop word) by themselves."""
    digest = hashlib.sha1()
    here = Path(__file__).resolve().parent
    for name in _BUILD_SOURCES:
        digest.update((here / name).read_bytes())
    return f"{INDEX_VERSION}.{digest.hexdigest()[:10]}"


@dataclass
class Doc:
    code: str
    department: str
    kind: str
    name: str


@dataclass
class Index:
    """Immutable once built; pickled into the Rasa model as is (minus the lazy segmenter)."""

    docs: List[Doc]
    fingerprint: str
    dict_words: List[str]  # the domain dictionary fed to the segmenter
    synonyms: Dict[str, str]
    unit_ids: Dict[str, int]  # unit (token or "#"+bigram) → id
    idf: np.ndarray  # per unit id
    # BM25F postings per unit id: docs and precomputed idf·saturated-tf values
    doc_post: List[Tuple[np.ndarray, np.ndarray]]
    # Entry (name or alias) postings per unit id, the entry → doc map and each entry's weight
    entry_post: List[np.ndarray]
    topic_post: List[np.ndarray]  # per unit id: docs whose name or keywords contain it
    entry_doc: np.ndarray
    entry_total: np.ndarray
    doc_entry_start: np.ndarray  # entries are grouped by doc: doc i owns [start[i], start[i+1])
    phrases: Dict[str, Tuple[int, ...]]  # verbatim alias/name → docs
    dept_hints: Dict[str, str]  # department alias or name → department code
    repairer: Repairer
    # Words that say nothing about a matter: our generic words plus spaCy's Chinese stop words,
    # minus any word a matter's name or keywords use (保险, 个人 are stop words to spaCy).
    stop_words: FrozenSet[str] = GENERIC_WORDS
    # Bundle doc → its member docs (a message naming several members asks for the bundle).
    bundle_members: Dict[int, Tuple[int, ...]] = field(default_factory=dict)
    version: int = INDEX_VERSION
    # Optional semantic signal (bot/matching/semantic.py): one unit vector per matter (rows of
    # ``dense``), owned by ``dense_doc``.
    dense: Optional[np.ndarray] = None
    dense_doc: Optional[np.ndarray] = None
    _tokenizer: Any = field(default=None, repr=False, compare=False)
    _spacy: Any = field(default=None, repr=False, compare=False)
    _domain: Any = field(default=None, repr=False, compare=False)

    # -- pickling: the segmenter holds a lock and is cheap to rebuild from dict_words
    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_tokenizer"] = None
        state["_spacy"] = None
        return state

    @property
    def tokenizer(self) -> "jieba.Tokenizer":
        if self._tokenizer is None:
            self._tokenizer = make_tokenizer(self.dict_words, VERB_COMPOUNDS)
        return self._tokenizer

    def raw_tokens(self, text: str) -> List[str]:
        """The segmenter's words, spaces included, so their lengths add up to the text's."""
        return self.tokenizer.lcut(text, HMM=False)

    def tokens(self, text: str) -> List[str]:
        """Canonical tokens of a normalised text (synonyms folded, spaces dropped)."""
        return self.fold(self.raw_tokens(text))

    def fold(self, pieces: List[str]) -> List[str]:
        """The segmenter's words as canonical tokens (synonyms folded, spaces dropped)."""
        return [self.synonyms.get(t, t) for t in (p.strip() for p in pieces) if t]

    def is_common(self, word: str) -> bool:
        """A frequent general-language word (车子, 一下): never "repaired" into a domain term."""
        if self._domain is None:
            self._domain = frozenset(self.dict_words)
        # Our own dictionary additions (户口薄 is an alias) do not make a word ordinary language.
        return word not in self._domain and (self.tokenizer.FREQ.get(word) or 0) >= COMMON_WORD_FREQ

    def spacy_phrase_matcher(self) -> Tuple[Any, Any]:
        """spaCy's blank zh pipeline (jieba segmenter) with a PhraseMatcher over names and aliases.

        Not used per query (the verbatim phrase table is a dict lookup and ~50x cheaper); kept for
        tools that want spaCy Docs and spans, and to cross-check the phrase table in tests.
        """
        if self._spacy is None:
            import spacy
            from spacy.matcher import PhraseMatcher

            nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
            matcher = PhraseMatcher(nlp.vocab)
            by_doc: Dict[int, List[str]] = defaultdict(list)
            for phrase, docs in self.phrases.items():
                for d in docs:
                    by_doc[d].append(phrase)
            for d, phrases in by_doc.items():
                matcher.add(str(d), list(nlp.tokenizer.pipe(phrases)))
            self._spacy = (nlp, matcher)
        return self._spacy


@lru_cache(maxsize=1)
def _base_dictionary() -> Tuple[Dict[str, int], int]:
    """jieba's own dictionary, read once per process (about two seconds of CPU)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    base = jieba.Tokenizer()
    base.initialize()
    return base.FREQ, base.total


def make_tokenizer(words: Iterable[str], verbs: Iterable[str] = ()) -> "jieba.Tokenizer":
    """A private jieba Tokenizer (never the global one) that keeps every domain word whole.

    It starts from a copy of the dictionary read once, instead of reading it again: each private
    tokenizer used to cost the first citizen after a start two seconds of waiting.
    """
    import jieba

    freq, total = _base_dictionary()
    tok = jieba.Tokenizer()
    tok.FREQ, tok.total, tok.initialized = dict(freq), total, True
    for word in words:
        # Frequent enough to beat any split of the word, rare enough not to glue neighbours.
        tok.add_word(word, freq=max(tok.FREQ.get(word, 0) or 0, 3000))
    for word in verbs:
        # …and a verb more frequent than its own first character, so that a domain word starting
        # with the verb's last character does not split it (the matcher's lexicon.VERB_COMPOUNDS).
        tok.add_word(word, freq=max(tok.FREQ.get(word, 0) or 0, 3000, (tok.FREQ.get(word[0], 0) or 0) + 1))
    return tok


def bigrams(text: str) -> List[str]:
    """Character bigrams inside CJK runs (latin and digits are handled as tokens)."""
    grams = []
    for run in _CJK_RUN.findall(text):
        grams.extend("#" + run[i:i + 2] for i in range(len(run) - 1))
    return grams


def content_units(tokens: Sequence[str], text: str, stop_words: FrozenSet[str] = GENERIC_WORDS) -> List[str]:
    """Tokens minus stop words, plus character bigrams: what a text is about."""
    units = [t for t in tokens if t not in stop_words and (len(t) > 1 or not t.isascii())]
    return units + bigrams(text)


def stop_words_for(topical_texts: Sequence[str]) -> FrozenSet[str]:
    """GENERIC_WORDS and spaCy's Chinese stop words, except words of two or more characters inside
    a matter's name or keywords (保险 in 养老保险, 个人 in 个人所得税: stop words to spaCy, matter
    words to us). A single character (等, 找, 把) stays a stop word unless it is a keyword itself."""
    from spacy.lang.zh.stop_words import STOP_WORDS

    joined = "\n".join(topical_texts)
    whole = set(topical_texts)
    kept = {w for w in STOP_WORDS if (len(w) >= 2 and w in joined) or w in whole}
    return frozenset(GENERIC_WORDS | (set(STOP_WORDS) - kept))


def _guide_fields(guide: Any) -> Dict[str, List[str]]:
    return {
        "name": [normalize(guide.name)],
        "alias": [normalize(a) for a in guide.aliases],
        "keyword": [normalize(k) for k in guide.keywords],
        "summary": [normalize(guide.summary)],
    }


def build_index(catalogue: "Catalogue", semantic: bool = False, use_cache: bool = True) -> Index:
    guides = list(catalogue.all_guides())
    docs = [Doc(g.code, g.department, g.kind, g.name) for g in guides]
    fields = [_guide_fields(g) for g in guides]
    syn = synonym_map()

    # 1. Domain dictionary: keywords, short names and aliases, department words, lexicon.
    dict_words: Set[str] = set(lexicon_words())
    dept_hints: Dict[str, str] = {}
    for dept in catalogue.departments.values():
        for word in [dept.name, *dept.aliases]:
            w = normalize(word)
            if len(w) >= 2 and not w.isdigit():
                dept_hints[w] = dept.code
                if len(w) <= 6:
                    dict_words.add(w)
    for f in fields:
        for w in f["keyword"] + f["alias"] + f["name"]:
            if 2 <= len(w) <= 4 and " " not in w:
                dict_words.add(w)
    words_sorted = sorted(dict_words)
    tokenizer = make_tokenizer(words_sorted, VERB_COMPOUNDS)

    def toks(text: str) -> List[str]:
        return [syn.get(t, t) for t in (x.strip() for x in tokenizer.lcut(text, HMM=False)) if t]

    stop_words = stop_words_for([text for f in fields for text in f["name"] + f["keyword"]])

    # 2. Units per field, document frequencies.
    unit_ids: Dict[str, int] = {}
    doc_tf: List[Counter] = []
    topic_units: List[Set[str]] = []
    entries: List[Tuple[int, Counter]] = []
    term_weight: Counter = Counter()
    for d, f in enumerate(fields):
        tf: Counter = Counter()
        topical: Set[str] = set()
        for fname, texts in f.items():
            weight = FIELD_WEIGHTS[fname]
            for text in texts:
                t = toks(text)
                units = content_units(t, text, stop_words)
                for u in units:
                    tf[u] += weight
                if fname in ("name", "alias"):
                    entries.append((d, Counter(units)))
                if fname in ("name", "keyword"):
                    topical.update(units)
                if fname != "summary":  # repair targets: words people use for matters, not prose
                    for w in t:
                        if len(w) >= 2:
                            term_weight[w] += 1
        doc_tf.append(tf)
        topic_units.append(topical)
        for u in tf:
            if u not in unit_ids:
                unit_ids[u] = len(unit_ids)
    n_docs = len(docs)
    df = np.zeros(len(unit_ids), dtype=np.float64)
    for tf in doc_tf:
        for u in tf:
            df[unit_ids[u]] += 1
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)

    # 3. BM25F postings with saturation precomputed: a query just sums arrays.
    lengths = np.array([sum(tf.values()) for tf in doc_tf], dtype=np.float64)
    avg = float(lengths.mean()) if n_docs else 1.0
    post_docs: List[List[int]] = [[] for _ in unit_ids]
    post_vals: List[List[float]] = [[] for _ in unit_ids]
    for d, tf in enumerate(doc_tf):
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[d] / avg)
        for u, f in tf.items():
            uid = unit_ids[u]
            post_docs[uid].append(d)
            post_vals[uid].append(idf[uid] * f * (BM25_K1 + 1) / (f + norm))
    doc_post = [(np.array(ds, dtype=np.int32), np.array(vs, dtype=np.float32))
                for ds, vs in zip(post_docs, post_vals)]

    # 4. Entry postings: each name/alias is a small bag of units, compared whole.
    entry_doc = np.array([d for d, _ in entries], dtype=np.int32)
    entry_total = np.array([sum(idf[unit_ids[u]] for u in c) or 1.0 for _, c in entries], dtype=np.float32)
    e_post: List[List[int]] = [[] for _ in unit_ids]
    for e, (_, c) in enumerate(entries):
        for u in c:
            e_post[unit_ids[u]].append(e)
    entry_post = [np.array(es, dtype=np.int32) for es in e_post]
    t_post: List[List[int]] = [[] for _ in unit_ids]
    for d, units in enumerate(topic_units):
        for u in units:
            t_post[unit_ids[u]].append(d)
    topic_post = [np.array(ds, dtype=np.int32) for ds in t_post]
    doc_entry_start = np.searchsorted(entry_doc, np.arange(n_docs)).astype(np.int64)

    # 5. Verbatim phrases: names and aliases, looked up by substring in the query.
    phrases: Dict[str, Set[int]] = defaultdict(set)
    for d, f in enumerate(fields):
        for text in f["name"] + f["alias"]:
            if 2 <= len(text) <= MAX_PHRASE:
                phrases[text].add(d)

    by_code = {doc.code: d for d, doc in enumerate(docs)}
    bundle_members = {by_code[b.code]: tuple(by_code[m] for m in b.members if m in by_code)
                      for b in catalogue.bundles.values()} if hasattr(catalogue, "bundles") else {}

    repair_terms = [w for w in term_weight if w not in GENERIC_WORDS] + lexicon_words() + list(ASKING_NOUNS)
    repair_terms += [w for f in fields for w in f["keyword"]] + list(dept_hints)
    repairer = Repairer.build(repair_terms, weights=dict(term_weight))

    index = Index(
        docs=docs, fingerprint=getattr(catalogue, "fingerprint", ""), dict_words=words_sorted,
        synonyms=syn, unit_ids=unit_ids, idf=idf, doc_post=doc_post, entry_post=entry_post, topic_post=topic_post,
        entry_doc=entry_doc, entry_total=entry_total, doc_entry_start=doc_entry_start,
        phrases={p: tuple(sorted(ds)) for p, ds in phrases.items()}, dept_hints=dept_hints,
        repairer=repairer, stop_words=stop_words, bundle_members=bundle_members,
    )
    index._tokenizer = tokenizer
    if semantic:
        from bot.matching.semantic import load_encoder, matter_texts, matter_vectors

        encoder = load_encoder()  # None (warning logged): the index stays lexical-only
        if encoder is not None:
            per_matter = [matter_texts(normalize(g.name), [normalize(a) for a in g.aliases]) for g in guides]
            index.dense = matter_vectors(encoder, per_matter, index.fingerprint, use_cache).astype(np.float16)
            index.dense_doc = np.arange(len(guides), dtype=np.int32)
    return index


def kind_hint_words() -> Dict[str, List[str]]:
    return {k: [normalize(w) for w in ws] for k, ws in KIND_HINTS.items()}
