"""Phone numbers in what citizens type, validated with libphonenumber."""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

import phonenumbers

_SEPARATORS_RE = re.compile(r"[\s\-()（）.·—_]")


def _digits(text: str) -> str:
    # NFKC folds full-width digits (１３８…); separators people type between groups go.
    return _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", text or ""))


def mainland_mobile(text: str) -> Optional[str]:
    """The 11-digit mainland mobile number in the text, validated by libphonenumber, or None."""
    found = re.search(r"(?:\+?86)?(1\d{10})(?!\d)", _digits(text))
    if not found:
        return None
    try:
        number = phonenumbers.parse(found.group(1), "CN")
    except phonenumbers.NumberParseException:
        return None
    kind = phonenumbers.number_type(number)
    if not phonenumbers.is_valid_number(number) or kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return found.group(1)
