"""bot.privacy.mask_text on generated formats (issue #19): whatever way a citizen, a channel or a
logger writes a phone or ID number, none of its middle digits survive, in any digit form."""

from __future__ import annotations

import json
import logging
import unicodedata

from hypothesis import given, settings, strategies as st

from bot.privacy import MaskingFilter, mask_log, mask_text

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
SEPARATORS = ["", " ", "-", ".", "\u3000", "\uff0d", "\u00a0", " - "]


def digits_of(text: str) -> str:
    """Every decimal digit in the text, as ASCII, whatever form it was written in."""
    return "".join(str(unicodedata.decimal(ch)) for ch in text if unicodedata.decimal(ch, None) is not None)


mobiles = st.builds(lambda p, rest: "1" + p + rest, st.sampled_from("3456789"),
                    st.text("0123456789", min_size=9, max_size=9))
ids18 = st.builds(lambda a, y, md, s, c: a + y + md + s + c,
                  st.text("123456789", min_size=1, max_size=1).flatmap(
                      lambda first: st.text("0123456789", min_size=5, max_size=5).map(lambda r: first + r)),
                  st.sampled_from(["1950", "1988", "1990", "2003"]), st.sampled_from(["0101", "1231", "0615"]),
                  st.text("0123456789", min_size=3, max_size=3), st.sampled_from(list("0123456789X")))
ids15 = st.builds(lambda a, b, c: a + b + c, st.sampled_from(["330102", "110101", "440301"]),
                  st.sampled_from(["900101", "851231", "770615"]), st.text("0123456789", min_size=3, max_size=3))


@st.composite
def written(draw, number: str, groups):
    """The number as someone might write it: grouped, full-width, invisible characters inside."""
    pieces, at = [], 0
    sep = draw(st.sampled_from(SEPARATORS))
    for size in groups:
        pieces.append(number[at:at + size])
        at += size
    text = sep.join(pieces)
    if draw(st.booleans()):
        text = "".join(FULL_WIDTH.get(ch, ch) for ch in text)
    if draw(st.booleans()):
        zw = draw(st.sampled_from(INVISIBLE))
        text = zw.join(text)
    return text


def grouped(numbers, groups):
    return numbers.flatmap(lambda n: written(n, groups).map(lambda w: (n, w)))


SURROUND = st.sampled_from([("我的电话", "，谢谢"), ("身份证：", ""), ("", "号"), ("call ", " please"), ("【", "】")])


def check(number: str, text: str, keep_head: int, keep_tail: int):
    masked = mask_text(text)
    middle = number[keep_head:len(number) - keep_tail]
    # Only the head and the tail are left, as digits; the middle is stars.
    assert digits_of(masked) == digits_of(number[:keep_head] + number[len(number) - keep_tail:]), (text, masked)
    assert "*" * len(middle) in masked, (text, masked)


@settings(max_examples=300, deadline=None)
@given(grouped(mobiles, [3, 4, 4]) | grouped(mobiles, [11]) | grouped(mobiles, [3, 8]), SURROUND)
def test_phones_in_any_format(case, around):
    number, text = case
    check(number, around[0] + text + around[1], 3, 4)


@settings(max_examples=300, deadline=None)
@given(grouped(ids18, [6, 8, 4]) | grouped(ids18, [18]) | grouped(ids18, [6, 4, 4, 4]), SURROUND)
def test_18_digit_ids_in_any_format(case, around):
    number, text = case
    check(number, around[0] + text + around[1], 6, 4)


@settings(max_examples=200, deadline=None)
@given(grouped(ids15, [6, 6, 3]) | grouped(ids15, [15]), SURROUND)
def test_15_digit_ids(case, around):
    number, text = case
    check(number, around[0] + text + around[1], 6, 3)


@settings(max_examples=200, deadline=None)
@given(grouped(mobiles, [3, 4, 4]) | grouped(ids18, [6, 8, 4]), SURROUND)
def test_text_logged_as_escaped_json(case, around):
    """Rasa logs events as JSON with ensure_ascii: Chinese and full-width digits become \\uXXXX."""
    number, text = case
    logged = json.dumps({"event": "user", "text": around[0] + text + around[1]})
    masked = mask_text(logged)
    decoded = json.loads(masked)["text"]  # still valid JSON
    kept = 3 if len(number) == 11 else 6
    assert digits_of(decoded) == digits_of(number[:kept] + number[-4:]), (logged, masked)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=60))
def test_text_without_digits_is_left_alone(text):
    if "\\u" not in text:
        assert mask_text(text) == text


def test_ordinary_numbers_are_left_alone():
    for text in ("工单ZJ20261124-0001", "2026-12-03 04:01:35", "timestamp 1764000000.123456",
                 "办结时限 20 个工作日，费用 0 元", "127.0.0.1:5005"):
        assert mask_text(text) == text


def test_rasa_token_never_reaches_a_log_line():
    line = "GET http://127.0.0.1:5005/conversations/c1/tracker?token=rasa-Secret_1&include_events=ALL 200"
    assert "rasa-Secret_1" not in mask_log(line) and "token=***" in mask_log(line)
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: %s", (line,), None)
    MaskingFilter().filter(record)
    assert "rasa-Secret_1" not in record.getMessage()
