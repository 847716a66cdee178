"""The matcher's rules among sibling matters, after the learnt scores.

The logistic layer (bot.matching.matcher) weighs how much of a message each matter's words
account for; between siblings that hold the same words — a document's first issue and its
replacement, 出生落户 and 迁入 for "户口怎么上" — it can only say which is asked more often.
These rules read what the scores cannot: the replacement verb said, or every word fitting
several matters alike, in which case the citizen is asked which one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

import numpy as np

from bot.matching.index import Index, bigrams
from bot.matching.results import Match, QueryAnalysis

# A short message whose every word fits several matters alike ("户口怎么上", "公积金怎么取出来"):
# at most this many content words (the `long` feature is words / 12), and coverage this close.
ALIKE_MAX_LONG = 4 / 12
ALIKE_WITHIN = 0.01
ALIKE_DENSE_GAP = 0.3  # how much less close in meaning (scaled cosine) an option may be than the best
# The replacement verb and the document lost (the canonical words of their groups, bot.matching.lexicon)
# and how many of the best matches they may pick from (SiblingRules.replacement_first).
REPLACING, LOST = "补办", "丢失"
REPLACEMENT_AMONG = 3
# A replacement matter says so in its name (补领婚姻登记证, 社会保障卡挂失与补换); 预防接种证办理 lists
# 补办 among its keywords but is the first card as much as a new one.
REPLACING_NAMED = "补"


class SiblingRules:
    """The sibling rules over one index; `position` maps a matter code to its doc id."""

    def __init__(self, index: Index, position: Dict[str, int]) -> None:
        self.index = index
        self.position = position

    def replacement_first(self, qa: QueryAnalysis, matches: List[Match]) -> List[Match]:
        """A message that says the replacement verb or the document lost ("补领结婚证要带什么",
        "…两本结婚证都找不到了…补领要带什么"): of the best match and a same-department runner-up
        (REPLACEMENT_AMONG) that both hold the message's object words (a document told lost: one
        of them), the replacement matter (its name says 补, its name or keywords hold the verb)
        comes first, with the best score, unless the message names a word only the best one's name or keywords hold ("临时",
        临时身份证's). The learnt scores weigh the document's own words, which the first-time matter
        (结婚登记, 社保卡申领) holds more of, and hardly the verb that tells them apart."""
        if not (REPLACING in qa.tokens or LOST in qa.tokens) or len(matches) < 2:
            return matches
        position = self.position
        best = matches[0]
        if best.matter not in position or self.topic_holds(REPLACING, position[best.matter])[0]:
            return matches
        objects = {word for word, _weight, is_object in qa.content if is_object}
        runners = [m for m in matches[1:REPLACEMENT_AMONG] if m.department == best.department and m.matter in position
                   and REPLACING_NAMED in m.name and self.topic_holds(REPLACING, position[m.matter])[0]]
        if not objects or not runners:
            return matches
        first, ours, theirs = runners[0], position[runners[0].matter], position[best.matter]
        said = self.entry_words(qa, [theirs, ours])
        both = said.get(ours, frozenset()) & said.get(theirs, frozenset())
        # A document told lost needs only to be one both are about, the story around it told; the
        # verb alone ("身份证在补办，有没有先凑合用的证") needs every object word to be both's.
        if not (objects & both if LOST in qa.tokens else objects <= both):
            return matches
        if any(self.topic_holds(w, theirs)[0] and not self.topic_holds(w, ours)[0] for w in objects):
            return matches  # the message names what only the best one is
        swapped = [replace(first, score=best.score), replace(best, score=first.score)]
        return swapped + [m for m in matches[1:] if m is not first]

    def entry_words(self, qa: QueryAnalysis, docs: Sequence[int]) -> Dict[int, FrozenSet[str]]:
        """For each of `docs`, the message's content words that one of its names or aliases holds
        (a word, or at least half its bigrams): what the citizen said of that matter in the
        matter's own words. One pass over the words, numpy lookups (it runs on short messages)."""
        idx = self.index
        wanted = np.asarray(docs)

        def holders(uid: Optional[int]) -> np.ndarray:
            if uid is None:
                return np.zeros(len(wanted), bool)
            return np.isin(wanted, idx.entry_doc[idx.entry_post[uid]])

        found: Dict[int, set] = {d: set() for d in docs}
        for word, _weight, _is_object in qa.content:
            held = holders(idx.unit_ids.get(word))
            grams = bigrams(word)
            if grams:
                share = sum(holders(idx.unit_ids.get(g)).astype(int) for g in grams)
                held = held | (share * 2 >= len(grams))
            for d, yes in zip(docs, held):
                if yes:
                    found[d].add(word)
        return {d: frozenset(w) for d, w in found.items()}

    def topic_holds(self, word: str, doc: int) -> Tuple[bool, bool]:
        """Does the matter's name or keyword list hold the word (as a unit, or all its bigrams),
        and does its name hold it verbatim (离婚 is 离婚登记's name; 补领婚姻登记证 only lists 离婚证)?"""
        idx = self.index

        def topical(unit: str) -> bool:
            uid = idx.unit_ids.get(unit)
            return uid is not None and doc in idx.topic_post[uid]

        grams = bigrams(word)
        held = topical(word) or bool(grams) and all(topical(g) for g in grams)
        return held, word in idx.docs[doc].name

    def alike(self, qa: QueryAnalysis, matches: List[Match]) -> List[Match]:
        """The candidates a short message fits in just the same words as the best one, when there
        are several: every word of "户口怎么上" is as much 出生落户's as 迁入's, of "过户咋弄" as much
        the car's as the flat's. The learnt scores then only say which is asked more often, so the
        citizen is asked which one rather than given a guess. [] when the message says which
        ("驾照丢了" is 补领's word, not 换证's)."""
        top = matches[0].features
        if top.get("obj_cover", 0.0) <= 0 or top.get("long", 1.0) > ALIKE_MAX_LONG or top.get("phrase", 0.0) > 0:
            return []
        position = self.position
        known = [m.matter for m in matches if m.matter in position]
        by_doc = self.entry_words(qa, [position[c] for c in known])
        words = {c: by_doc[position[c]] for c in known}
        said = words.get(matches[0].matter)
        if not said:
            return []
        best = position[matches[0].matter]
        bundles = self.index.bundle_members

        def bundle_of(a: Match, b: Match) -> bool:
            return position.get(b.matter) in bundles.get(position.get(a.matter, -1), ())

        objects = {word for word, _weight, is_object in qa.content if is_object}
        if not objects <= said:
            return []  # the best one does not hold all the message's object words itself

        def close(f: Dict[str, float], keys: Tuple[str, ...]) -> bool:
            return all(abs(f.get(k, 0.0) - top.get(k, 0.0)) <= ALIKE_WITHIN for k in keys)

        held_by_best = {w: self.topic_holds(w, best) for w in objects}

        def fits_alike(m: Match) -> bool:
            f = m.features
            # With the semantic signal, a matter far from the message in meaning is no real option,
            # whatever words it lists (一窗通拍 names 身份证、驾驶证、护照 but is not "护照怎么办").
            if (close(f, ("cover", "obj_cover", "topic_cover", "kind_clash", "dept"))
                    and f.get("dense_gap", 0.0) >= -ALIKE_DENSE_GAP):
                return True
            # A sibling in the same department whose name and keywords hold every object word said
            # just as the best one's do ("房子抵押的手续" is 抵押 or 抵押注销, "社保卡要办" 申领 or
            # 补换): which of them is asked more often is no reading of this citizen. "买了房公积金能
            # 取吗" (买房 is 购房提取's), "办离婚" (离婚 names 离婚登记) say which.
            return (m.department == matches[0].department and close(f, ("cover", "obj_cover", "kind_clash"))
                    and all(self.topic_holds(w, position[m.matter]) == held_by_best[w] for w in objects))

        alike = [matches[0]] + [m for m in matches[1:] if words.get(m.matter) == said and fits_alike(m)
                                and m.features.get("phrase", 0.0) <= 0]
        # A bundle beside its own members is not one more option: the member is what is asked
        # ("办户口" is 出生落户 or 迁入, not 婚育一件事; "新生儿怎么上户口" is no question at all).
        alike = [m for m in alike if not any(bundle_of(m, o) for o in alike if o is not m)]
        return alike if len(alike) >= 2 else []
