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
    mobile = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return found.group(1) if found and _valid(found.group(1), mobile) else None


_LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3})(\d{7,8})(?!\d)")


def landline(text: str) -> Optional[str]:
    """A mainland fixed line with its area code ("0571-87654321" → "057187654321"), or None."""
    found = _LANDLINE_RE.search(_digits(text))
    return found.group(0) if found and _valid(found.group(0)) else None


def _valid(digits: str, kinds: tuple = ()) -> bool:
    """libphonenumber's verdict on a mainland number (and that it is of one of `kinds`, if given)."""
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and (not kinds or phonenumbers.number_type(number) in kinds)


def contact_number(text: str) -> Optional[str]:
    """A number to call the citizen back on: a mobile, else a landline with area code."""
    return mainland_mobile(text) or landline(text)
