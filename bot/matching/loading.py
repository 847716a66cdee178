"""Get a ready Matcher for a catalogue directory, reusing a pickled index when it is current."""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from typing import Optional, Union

from bot.matching.index import INDEX_VERSION, Index
from bot.matching.matcher import Matcher


def cache_dir() -> Path:
    return Path(os.environ.get("ONETRIP_CACHE", Path.cwd() / "var" / "cache"))


def load_matcher(catalogue_path: Union[str, Path, None] = None, use_cache: bool = True,
                 semantic: bool = False) -> Matcher:
    """Validate the catalogue's fingerprint against the cached index; rebuild when it changed.

    The fingerprint is a hash of the catalogue files, so checking it costs a file read, while a
    rebuild (segmenting every alias) costs seconds at 20,000 matters.
    """
    from bot.catalogue import catalogue_fingerprint, default_catalogue_path, load_catalogue

    root = Path(catalogue_path) if catalogue_path else default_catalogue_path()
    fingerprint = catalogue_fingerprint(root)
    cached = cache_dir() / f"matcher-{INDEX_VERSION}-{fingerprint}{'-sem' if semantic else ''}.pkl"
    if use_cache and cached.exists():
        try:
            with cached.open("rb") as fh:
                index = pickle.load(fh)
            if isinstance(index, Index) and index.version == INDEX_VERSION:
                return Matcher(index)
        except Exception as exc:  # a stale or truncated cache is rebuilt, never fatal
            print(f"onetrip: ignoring matcher cache {cached}: {exc}", file=sys.stderr)
    matcher = Matcher.from_catalogue(load_catalogue(root), semantic=semantic)
    if use_cache and save_index(matcher.index, cached):
        # Indexes of older catalogues or older code are dead weight: keep the current ones only.
        for old in cached.parent.glob("matcher-*.pkl"):
            if not old.name.startswith(f"matcher-{INDEX_VERSION}-{fingerprint}"):
                old.unlink(missing_ok=True)
    return matcher


def save_index(index: Index, path: Path) -> Optional[Path]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        return path
    except OSError:
        return None  # read-only checkout: matching still works, just builds each time
