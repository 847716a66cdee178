"""Masking of the personal numbers citizens type: phone numbers and resident ID numbers.

Used for logs (a logging filter) and for staff views until a staff member reveals the contact.
"""

from __future__ import annotations

import logging
import re

# 18-digit resident ID (last may be X) and mainland mobiles (optionally +86, spaces or dashes).
_ID_RE = re.compile(r"(?<![0-9])([1-9]\d{5})(\d{8})(\d{3}[0-9Xx])(?![0-9])")
_MOBILE_RE = re.compile(r"(?<![0-9])((?:\+?86[ -]?)?1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![0-9])")


def mask_text(text: str) -> str:
    """138****5678 for phones, 330102********123X for ID numbers."""
    if not text:
        return text
    text = _ID_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)
    return _MOBILE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


def mask_phone(phone: str) -> str:
    """A phone number for staff views before reveal: 138****5678."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 11 else "*" * (len(digits) - 4) + digits[-4:]


class MaskingFilter(logging.Filter):
    """Masks phone and ID numbers in every log record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        masked = mask_text(message)
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
