"""Checks of what citizens type into forms: phone numbers (phonenumbers) and descriptions."""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from rasa_sdk.executor import CollectingDispatcher

import phonenumbers

from bot.matching.normalize import normalize


def mainland_mobile(text: str) -> Optional[str]:
    """The 11-digit mainland mobile number in the text, validated by libphonenumber, or None."""
    digits = re.sub(r"[\s\-()（）]", "", text or "")
    found = re.search(r"(?:\+?86)?(1\d{10})(?!\d)", digits)
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


def substance(text: str) -> int:
    """How much a description says: its length without punctuation, emoji and spaces."""
    return len(normalize(text).replace(" ", ""))


def contact_phone_slot(value: Any, dispatcher: CollectingDispatcher) -> Dict[str, Optional[str]]:
    """The `contact_phone` slot of any form: the number, or None and a request to type it again."""
    phone = mainland_mobile(str(value or ""))
    if not phone:
        dispatcher.utter_message(text="这个号码好像不对，请输入11位手机号码，例如 13812345678。")
    return {"contact_phone": phone}
