"""Fitted models pickled to disk (the matcher's index, the department router): in var/cache by
bot.matching.loading and bot.routing.router, in Rasa's model by the bot.nlu components.

Each pickled class carries a ``version`` its code bumps when the format changes; a pickle of
another version, or of another class, is ``Stale`` and is built again rather than used.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any, Callable, Optional


class Stale(ValueError):
    """A pickle written by other code: build the model again."""


def dump(obj: Any, path: Path) -> None:
    with path.open("wb") as fh:
        pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)


def read(path: Path, version: int, kind: type = object) -> Any:
    """The object pickled at `path`; Stale when it is not a `kind` of this `version`."""
    with path.open("rb") as fh:
        obj = pickle.load(fh)
    found = getattr(obj, "version", None)
    if not isinstance(obj, kind) or found != version:
        raise Stale(f"{type(obj).__name__} version {found} != {version}")
    return obj


def read_cached(path: Path, version: int, kind: type, warn: Callable[[Exception], None]) -> Optional[Any]:
    """The cached `kind` of this `version` at `path`, or None: none cached, or stale (silently), or
    unreadable (said through `warn`: a truncated cache is rebuilt, never fatal)."""
    if not path.exists():
        return None
    try:
        return read(path, version, kind)
    except Stale:
        return None
    except Exception as exc:
        warn(exc)
        return None


def write_cached(obj: Any, path: Path) -> Optional[Path]:
    """Pickle `obj` to `path` through a temporary file (a reader never sees half of one); None
    when the folder is read-only (a read-only checkout builds each time instead)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # per process: writers never share it
        dump(obj, tmp)
        tmp.replace(path)
        return path
    except OSError:
        return None
