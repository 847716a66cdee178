"""Masking of the personal numbers citizens type: phone numbers and resident ID numbers.

One function, :func:`mask_text`, used for logs (a logging filter, and the output of the three
servers under `onetrip up`) and for every staff view (console, dashboard and its CSV, the JSON
API) until a staff member reveals the contact.

It matches after normalising, so the formats citizens (and loggers) produce are all caught:
full-width digits (１３８…) and any other Unicode decimal digits, digits written as ``\\uXXXX``
escapes (Rasa logs JSON with ``ensure_ascii``), zero-width and other invisible format characters
between digits, and phones or IDs grouped with spaces, dots, hyphens or slashes
(138.1234.5678, 138 1234 5678, 330102 19900101 1234), 15- and 18-digit ID numbers.
The replacement covers the whole original span (escapes and invisible characters included).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import List, Tuple

# Between the usual groups of a number: up to three of space, dot, hyphen, slash, underscore, ·
# (after normalising, so full-width and no-break spaces and hyphens are among them).
_S = r"[ \t.\-_/\u00b7]{0,3}"
# Mainland mobile, 3-4-4, optionally after +86 / 0086 / 86.
_MOBILE_RE = re.compile(
    rf"(?<![0-9])(?P<cc>(?:\+|00)?86{_S})?(?P<head>1[3-9][0-9]){_S}(?P<mid>[0-9]{{4}}){_S}(?P<tail>[0-9]{{4}})(?![0-9])"
)
# Resident ID: 18 characters (6 region + 8 birth date + 3 + check digit or X) or the old 15 digits.
_ID18_RE = re.compile(
    rf"(?<![0-9])(?P<head>[1-9][0-9]{{2}}{_S}[0-9]{{3}}){_S}(?P<mid>[0-9]{{4}}{_S}[0-9]{{4}}){_S}"
    rf"(?P<tail>[0-9]{{3}}{_S}[0-9Xx])(?![0-9])"
)
_ID15_RE = re.compile(
    rf"(?<![0-9])(?P<head>[1-9][0-9]{{2}}{_S}[0-9]{{3}}){_S}(?P<mid>[0-9]{{6}}){_S}(?P<tail>[0-9]{{3}})(?![0-9])"
)
_ESCAPE_RE = re.compile(r"\\+u([0-9a-fA-F]{4})")
_ANY_DIGIT = re.compile(r"\d")  # str patterns: every Unicode decimal digit (full-width too)

# Secrets that must never reach a log line: Rasa's `?token=` (its HTTP API takes no header for
# the static token), bearer tokens, and the password lines of the CLI.
_SECRET_RES = (
    re.compile(r"(?i)([?&](?:token|access_token|auth_token)=)[^&\s\"'#]+"),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(--auth-token[= ])\S+"),
)


def _digit(ch: str) -> str:
    """An ASCII digit for any Unicode decimal digit; other characters as NFKC gives them."""
    value = unicodedata.decimal(ch, None)
    if value is not None:
        return str(value)
    return unicodedata.normalize("NFKC", ch)


def _normalise(text: str) -> Tuple[str, List[Tuple[int, int]]]:
    """The text as the patterns see it, and for each of its characters the original span."""
    out: List[str] = []
    spans: List[Tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch, end = text[i], i + 1
        if ch == "\\":
            m = _ESCAPE_RE.match(text, i)
            if m:
                ch, end = chr(int(m.group(1), 16)), m.end()
        category = unicodedata.category(ch)
        if category in ("Cf", "Mn", "Me") or ch in "\u200b\u2060\ufeff\u180e":
            # Invisible: zero-width space/joiners, word joiner, BOM, soft hyphen, combining marks.
            # Dropped from the view; a match around it still replaces it (spans are contiguous).
            i = end
            continue
        for piece in _digit(ch):
            out.append(piece)
            spans.append((i, end))
        i = end
    return "".join(out), spans


def _masked_phone(m: re.Match) -> str:
    cc = m.group("cc") or ""
    return cc + m.group("head") + "****" + m.group("tail")


def _masked_id(m: re.Match) -> str:
    head = re.sub(r"[^0-9]", "", m.group("head"))
    mid = re.sub(r"[^0-9]", "", m.group("mid"))
    tail = re.sub(r"[^0-9Xx]", "", m.group("tail")).upper()
    return head + "*" * len(mid) + tail


_PATTERNS = ((_ID18_RE, _masked_id), (_ID15_RE, _masked_id), (_MOBILE_RE, _masked_phone))


def _matches(view: str) -> List[Tuple[int, int, str]]:
    """Non-overlapping matches in the normalised view: IDs first (longer), then phones."""
    found: List[Tuple[int, int, str]] = []
    taken = [False] * len(view)
    for pattern, render in _PATTERNS:
        for m in pattern.finditer(view):
            if not any(taken[m.start():m.end()]):
                found.append((m.start(), m.end(), render(m)))
                for k in range(m.start(), m.end()):
                    taken[k] = True
    return sorted(found)


def mask_text(text: str) -> str:
    """138****5678 for phones, 330102********1234 for ID numbers, in any of the formats above."""
    if not text or not isinstance(text, str):
        return text
    escaped = "\\u" in text
    if not escaped and not _ANY_DIGIT.search(text):
        return text
    if text.isascii() and not escaped:
        view, spans = text, None  # the common case: no normalising needed, positions are the same
    else:
        view, spans = _normalise(text)
    found = _matches(view)
    if not found:
        return text
    pieces, last = [], 0
    for start, end, masked in found:
        a, b = (start, end) if spans is None else (spans[start][0], spans[end - 1][1])
        pieces.append(text[last:a])
        pieces.append(masked)
        last = b
    pieces.append(text[last:])
    return "".join(pieces)


def mask_secrets(text: str) -> str:
    """Tokens in URLs (Rasa's ``?token=``), bearer tokens and ``--auth-token`` values -> ***."""
    if not text:
        return text
    for pattern in _SECRET_RES:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


def mask_log(text: str) -> str:
    """What a log line may show: personal numbers and secrets masked."""
    return mask_secrets(mask_text(text))


def mask_phone(phone: str) -> str:
    """A phone number for staff views before reveal: 138****5678."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 11 else "*" * (len(digits) - 4) + digits[-4:]


class MaskingFilter(logging.Filter):
    """Masks phone and ID numbers and secrets in every log record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        masked = mask_log(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_masking() -> None:
    """Attach the masking filter to every handler configured so far (idempotent).

    Servers such as uvicorn give their own loggers handlers, so the root logger is not enough.
    """
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, MaskingFilter) for f in handler.filters):
                handler.addFilter(MaskingFilter())
