"""A document not named (data/lexicon/documents.yml): "我的证丢了咋补办" offers the lost-document
matters people most often mean, instead of whatever matters share the words 丢 and 补."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bot.catalogue.schema import CODE_RE
from bot.text.normalize import folded_words, normalize

DOCUMENTS_FILE = Path(__file__).resolve().parents[1] / "data" / "lexicon" / "documents.yml"
# A question about "my document" is short; a story that mentions 证 is read by the matcher.
GENERIC_CHARS = 20


@dataclass(frozen=True)
class DocumentAction:
    words: Tuple[str, ...]
    options: Tuple[str, ...]


@dataclass(frozen=True)
class Documents:
    generic: Tuple[str, ...]
    named: Tuple[str, ...]
    actions: Dict[str, DocumentAction]


def _words(values, where: str) -> Tuple[str, ...]:
    return folded_words(values, f"{DOCUMENTS_FILE}: {where}")


@lru_cache(maxsize=1)
def documents() -> Documents:
    data = yaml.safe_load(DOCUMENTS_FILE.read_text(encoding="utf-8")) or {}
    unknown = set(data) - {"generic", "named", "actions"}
    if unknown:
        raise ValueError(f"{DOCUMENTS_FILE}: 未知的字段 {sorted(unknown)}，只能是 generic、named、actions")
    actions = {}
    for name, action in (data.get("actions") or {}).items():
        if not isinstance(action, dict) or set(action) != {"words", "options"}:
            raise ValueError(f"{DOCUMENTS_FILE}: actions.{name} 应包含 words 和 options 两项")
        options = action["options"]
        if not isinstance(options, list) or not all(isinstance(o, str) and CODE_RE.match(o) for o in options):
            raise ValueError(f"{DOCUMENTS_FILE}: actions.{name}.options 应为事项编码的列表，如 gongan.id_card_lost")
        actions[name] = DocumentAction(_words(action["words"], f"actions.{name}.words"), tuple(options))
    return Documents(_words(data.get("generic"), "generic"), _words(data.get("named"), "named"), actions)


def unnamed_document(text: str) -> Optional[List[str]]:
    """The options for a short question about a document it does not name ("我的证丢了咋补办",
    "证件到期了要换"), or None."""
    folded = normalize(text).replace(" ", "")
    found = documents()
    if len(folded) > GENERIC_CHARS or any(n in folded for n in found.named) or not any(g in folded for g in found.generic):
        return None
    return next((list(a.options) for a in found.actions.values() if any(w in folded for w in a.words)), None)
