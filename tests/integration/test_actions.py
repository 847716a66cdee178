"""The actions against the real hall app in-process (httpx ASGI transport, a real SQLite database),
with messages parsed by the real matcher: no part of OneTrip is mocked."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import httpx
import pytest
import yaml
from rasa.shared.utils.io import raise_warning  # noqa: F401  (rasa importable: its NLG fills templates)
from rasa.core.nlg.interpolator import interpolate_text
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.api.hall as hall_module
from actions.api.hall import HallClient
from actions.feedback import ActionRecordRating
from actions.handoff import ActionHandoff, ActionHandoffContact
from actions.matters import ActionAnswerMatter
from actions.forms import ValidateTicketForm
from actions.tickets import ActionOpenTicket, ActionTicketStatus
from bot.catalogue import load_catalogue
from bot.hall.app import create_app
from bot.hall.bootstrap import prepare
from bot.matching import Matcher
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "service-token-for-tests"
_RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def said(dispatcher: CollectingDispatcher, index: int = 0) -> str:
    """What the citizen reads for one message: free text, or the domain response filled in with
    the action's values, as Rasa's templated NLG does."""
    message = dispatcher.messages[index]
    if message.get("text"):
        return message["text"]
    template = _RESPONSES[message["response"]][0]["text"]
    return interpolate_text(template, {k: v for k, v in message.items() if k != "response"})


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.from_catalogue(load_catalogue(ROOT / "data" / "catalogue"))


@pytest.fixture
def hall_app(tmp_path, monkeypatch):
    env = {
        "ONETRIP_VAR": str(tmp_path),
        "ONETRIP_CATALOGUE": str(ROOT / "data" / "catalogue"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hall.db'}",
        "ONETRIP_EVENTS_URL": f"sqlite:///{tmp_path / 'events.db'}",
        "HALL_SERVICE_TOKEN": TOKEN,
        "HALL_SECRET_KEY": "k" * 32,
        "RASA_TOKEN": "unused",
        "RASA_URL": "http://127.0.0.1:9",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    prepare(settings)
    return create_app(settings, run_events=False)


@pytest.fixture
def hall(hall_app, monkeypatch) -> HallClient:
    client = HallClient("http://hall", TOKEN, transport=httpx.ASGITransport(app=hall_app))
    monkeypatch.setattr(hall_module, "_client", client)
    return client


def parsed(matcher: Matcher, text: str, intent: str, entities: Optional[List[dict]] = None) -> Dict[str, Any]:
    result = matcher.match(text, top_k=5)
    ents = list(entities or [])
    if not result.abstain and not result.clarify and result.matches:
        ents.append({"entity": "matter", "value": result.matches[0].matter, "extractor": "MatterMatcher"})
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": ents,
        "matter_match": {
            "abstain": result.abstain,
            "clarify": result.clarify,
            "matches": [{"matter": m.matter, "department": m.department, "score": m.score} for m in result.matches],
        },
    }


def tracker(message: Dict[str, Any], slots: Optional[Dict[str, Any]] = None, sender: str = "citizen-1") -> Tracker:
    events = [{"event": "user", "text": message["text"], "timestamp": time.time(), "parse_data": message,
               "input_channel": "rest"}]
    return Tracker(sender, slots or {}, message, events, False, None, {}, "action_listen")


def slots_of(events: List[dict]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_requirements_overview_and_aspect(matcher, hall):
    dispatcher = CollectingDispatcher()
    message = parsed(matcher, "身份证下个月就过期了", "ask_matter")
    events = await ActionAnswerMatter().run(dispatcher, tracker(message), {})
    assert slots_of(events)["current_matter"] == "gongan.id_card_renew"
    payloads = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert payloads[0]["matter"] == "gongan.id_card_renew" and payloads[0]["aspect"] == "overview"
    assert "最多跑一次" in said(dispatcher, 0) or "跑零次" in said(dispatcher, 0)

    follow = CollectingDispatcher()
    message = parsed(matcher, "那要多少钱？", "ask_aspect",
                     [{"entity": "aspect", "value": "fee", "start": 1, "end": 4}])
    await ActionAnswerMatter().run(follow, tracker(message, {"current_matter": "gongan.id_card_renew"}), {})
    assert follow.messages[0]["custom"]["aspect"] == "fee"
    assert follow.messages[0]["custom"]["matter"] == "gongan.id_card_renew"
    assert "20元" in said(follow, 0)


async def test_related_services_after_new_house(matcher, hall):
    dispatcher = CollectingDispatcher()
    await ActionAnswerMatter().run(dispatcher, tracker(parsed(matcher, "新房办证", "ask_matter")), {})
    related = [m["custom"]["related"] for m in dispatcher.messages if m.get("custom", {}).get("related")]
    assert related and 1 <= len(related[0]) <= 2
    assert "gjj.withdraw_purchase" in related[0] or "gongyong.water_transfer" in related[0] or "shuiwu.deed_tax" in related[0]


async def test_bundle_lists_members_and_merged_materials(matcher, hall):
    dispatcher = CollectingDispatcher()
    await ActionAnswerMatter().run(dispatcher, tracker(parsed(matcher, "孩子刚出生要办哪些手续", "ask_matter")), {})
    text = said(dispatcher, 0)
    assert dispatcher.messages[0]["custom"]["matter"] == "yjs.newborn"
    assert "出生医学证明" in text and "合并后的材料清单" in text


async def test_guidance_sets_ticket_kind_and_region_from_first_message(matcher, hall):
    dispatcher = CollectingDispatcher()
    message = parsed(matcher, "我在湖州德清，家里虾塘的虾苗这几天死了好多，水有点发红", "request_guidance")
    events = await ActionAnswerMatter().run(dispatcher, tracker(message), {})
    slots = slots_of(events)
    assert slots["ticket_kind"] == "guidance"
    assert slots["ticket_matter"] == "nongye.aquaculture_guidance"
    assert slots["region"] == "湖州市德清县"
    assert slots["problem_description"].startswith("我在湖州德清")


def test_phone_is_validated_and_reasked():
    form = ValidateTicketForm()
    dispatcher = CollectingDispatcher()
    t = tracker({"text": "138123", "intent": {"name": "inform"}, "entities": []})
    assert form.validate_contact_phone("138123", dispatcher, t, {}) == {"contact_phone": None}
    assert "手机号码" in said(dispatcher, 0)
    assert form.validate_contact_phone("电话 138 1234 5678", dispatcher, t, {}) == {"contact_phone": "13812345678"}


async def test_the_ticket_form_asks_a_complaint_only_for_a_way_back():
    # An expert's visit needs the place and consent; a complaint, consultation or 兜底 is filed
    # once the citizen gives (or declines) a phone.
    form, slots = ValidateTicketForm(), ["problem_description", "region", "contact_phone"]
    for kind, expected in (("guidance", slots), ("complaint", ["problem_description", "contact_phone"]),
                           ("consult", ["problem_description", "contact_phone"]),
                           ("fallback", ["problem_description", "contact_phone"])):
        t = tracker({"text": "13812345678", "intent": {"name": "inform"}, "entities": []}, {"ticket_kind": kind})
        assert await form.required_slots(slots, CollectingDispatcher(), t, {}) == expected, kind


async def test_ticket_is_opened_once_even_when_the_action_is_retried(hall):
    slots = {"ticket_kind": "guidance", "ticket_matter": "nongye.aquaculture_guidance",
             "problem_description": "南美白对虾放苗半个月，每天死几百尾", "region": "宁波市象山县",
             "contact_phone": "13812345678", "consent": True}
    t = tracker({"text": "同意", "intent": {"name": "affirm"}, "entities": []}, slots, sender="retry-1")
    first, second = CollectingDispatcher(), CollectingDispatcher()
    await ActionOpenTicket().run(first, t, {})
    await ActionOpenTicket().run(second, t, {})  # Rasa retrying the same action call
    one, two = first.messages[-1]["custom"], second.messages[-1]["custom"]
    assert one["ticket"] == two["ticket"] and one["kind"] == "guidance" and one["department"] == "nongye"
    tickets = await hall.lookup_tickets("retry-1", number=one["ticket"])
    assert len(tickets) == 1
    assert "13812345678" not in said(first, 0)  # the confirmation masks the phone


async def test_fallback_and_feedback_tickets_are_filed_under_zwfw_matters_about_the_matter(hall):
    # A 兜底 ticket is the catalogue's 跑一次没办成兜底受理 (zwfw.fallback), a 差评 one its 好差评
    # (zwfw.feedback); the matter not done or rated goes with them, and staff work from its guide.
    for kind, under, sender in (("fallback", "zwfw.fallback", "about-1"), ("feedback", "zwfw.feedback", "about-2")):
        slots = {"ticket_kind": kind, "ticket_matter": "gjj.withdraw_rent", "problem_description": "窗口说系统升级办不了，白跑一趟",
                 "contact_phone": "13812345678", "rating": "1" if kind == "feedback" else None,
                 "rating_reason": "排队三个小时" if kind == "feedback" else None}
        opener = CollectingDispatcher()
        await ActionOpenTicket().run(opener, tracker({"text": "13812345678", "intent": {"name": "inform"}, "entities": []},
                                                     slots, sender=sender), {})
        number = opener.messages[0]["custom"]["ticket"]
        (ticket,) = await hall.lookup_tickets(sender, number=number)
        assert (ticket["kind"], ticket["department"], ticket["matter"]) == (kind, "zwfw", under)
        assert ticket["about_matter"] == "gjj.withdraw_rent" and ticket["about_matter_name"]


def answering(response: str, message: Dict[str, Any], slots: Dict[str, Any], sender: str) -> Tracker:
    """The citizen's message right after the bot's `response`."""
    events = [{"event": "bot", "text": "", "metadata": {"utter_action": response}, "timestamp": time.time()},
              {"event": "user", "text": message["text"], "timestamp": time.time(), "parse_data": message,
               "input_channel": "rest"}]
    return Tracker(sender, slots, message, events, False, None, {}, "action_listen")


async def test_guidance_is_filed_at_the_phone_and_reading_the_conversation_asked_after(matcher, hall):
    # Blind writers end the shrimp farmer's conversation at the phone: the expert's ticket must
    # exist then. Whether staff may read the conversation is asked after, and kept on the ticket.
    slots = {"ticket_kind": "guidance", "ticket_matter": "nongye.aquaculture_guidance",
             "problem_description": "南美白对虾放苗半个月，每天死几百尾", "region": "宁波市象山县",
             "contact_phone": "13812345678"}
    opener = CollectingDispatcher()
    await ActionOpenTicket().run(opener, tracker({"text": "13812345678", "intent": {"name": "inform"}, "entities": []},
                                                 slots, sender="consent-1"), {})
    number = next(m["custom"]["ticket"] for m in opener.messages if "ticket" in (m.get("custom") or {}))
    assert opener.messages[-1]["response"] == "utter_ask_transcript_consent"
    [stored] = await hall.lookup_tickets("consent-1", number=number)
    assert stored["consent"] is False  # not asked yet: staff see only what the ticket holds

    for text, intent, expected in (("同意的", "affirm", True), ("不同意", "deny", False)):
        answer = CollectingDispatcher()
        await ActionAnswerMatter().run(answer, answering("utter_ask_transcript_consent", parsed(matcher, text, intent),
                                                         {"last_ticket": number}, "consent-1"), {})
        assert answer.messages[0]["response"] == ("utter_transcript_consent_noted" if expected else "utter_no_consent")
        [stored] = await hall.lookup_tickets("consent-1", number=number)
        assert stored["consent"] is expected

    # A new question in that place is answered as one, and consents to nothing.
    question = CollectingDispatcher()
    await ActionAnswerMatter().run(question, answering(
        "utter_ask_transcript_consent", parsed(matcher, "对了，我店里的农药经营许可证快到期了，到期前要怎么续", "ask_matter"),
        {"last_ticket": number}, "consent-1"), {})
    assert any((m.get("custom") or {}).get("matter") == "nongye.pesticide_license" for m in question.messages)
    [stored] = await hall.lookup_tickets("consent-1", number=number)
    assert stored["consent"] is False

    # Telling the same expert's matter again in this conversation files no second ticket: what it
    # tells is added to the ticket filed.
    again = CollectingDispatcher()
    events = await ActionAnswerMatter().run(again, tracker(parsed(matcher, "我家养的南美白对虾死了好多，想请专家看看", "request_guidance"),
                                                           {"last_ticket": number}, sender="consent-1"), {})
    assert again.messages[0]["response"] == "utter_ticket_details_added" and number in said(again, 0)
    assert slots_of(events).get("ticket_kind") is None  # no form starts, so no ticket can follow
    [stored] = await hall.lookup_tickets("consent-1", number=number)
    assert "【群众补充】我家养的南美白对虾死了好多" in stored["description"]


async def test_ticket_status_shows_only_the_citizens_own_tickets(hall):
    slots = {"ticket_kind": "complaint", "ticket_matter": "renshe.wage_arrears",
             "problem_description": "老板拖欠三个月工资不给", "region": "杭州市萧山区",
             "contact_phone": "13912345678", "consent": True}
    opener = CollectingDispatcher()
    await ActionOpenTicket().run(opener, tracker({"text": "同意", "intent": {"name": "affirm"}, "entities": []}, slots, "owner"), {})
    number = opener.messages[-1]["custom"]["ticket"]

    mine = CollectingDispatcher()
    await ActionTicketStatus().run(mine, tracker({"text": f"{number}怎么样了", "intent": {"name": "ticket_status"}, "entities": []}, sender="owner"), {})
    assert number in said(mine, 0)

    stranger = CollectingDispatcher()
    await ActionTicketStatus().run(stranger, tracker({"text": f"{number}怎么样了", "intent": {"name": "ticket_status"}, "entities": []}, sender="stranger"), {})
    assert number not in said(stranger, 0)


async def test_handoff_opens_a_ticket_and_pauses(hall):
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, tracker({"text": "转人工", "intent": {"name": "human_handoff"}, "entities": []}, sender="h-1"), {})
    assert any(e.get("event") == "pause" for e in events)
    assert dispatcher.messages[0]["custom"]["handoff"] is True
    assert dispatcher.messages[0]["custom"]["kind"] == "handoff"


@pytest.fixture
def closed_hall(tmp_path, monkeypatch, hall_app):
    """The hall with staff's working hours set to one minute twelve hours from now: closed."""
    import datetime as dt

    from bot.hall.sla import TZ

    start = dt.datetime.now(TZ) + dt.timedelta(hours=12)
    end = start + dt.timedelta(minutes=1)
    sla = tmp_path / "sla.yml"
    sla.write_text(f'working_hours: {{start: "{start:%H:%M}", end: "{end:%H:%M}"}}\n', encoding="utf-8")
    monkeypatch.setenv("ONETRIP_SLA_FILE", str(sla))
    app = create_app(load_settings(), run_events=False)
    client = HallClient("http://hall", TOKEN, transport=httpx.ASGITransport(app=app))
    monkeypatch.setattr(hall_module, "_client", client)
    return client


async def test_an_after_hours_handoff_takes_the_call_back_phone_it_asked_for(closed_hall):
    me = "h-after-hours"
    asked = CollectingDispatcher()
    await ActionHandoff().run(asked, tracker({"text": "你叫个真人来跟我讲", "intent": {"name": "human_handoff"},
                                              "entities": []}, sender=me), {})
    offer = asked.messages[0]["custom"]
    assert offer["office_open"] is False and "留下手机号" in said(asked)
    number = offer["ticket"]

    def waiting(text: str, *since: Dict[str, Any]) -> Tracker:
        message = {"text": text, "intent": {"name": "inform"}, "entities": []}
        events = [{"event": "bot", "text": said(asked), "data": {"custom": offer}}, *since,
                  {"event": "user", "text": text, "parse_data": message}]
        return Tracker(me, {}, message, events, True, None, {}, "action_listen")

    noted = CollectingDispatcher()
    events = await ActionHandoffContact().run(noted, waiting("13905712384"), {})
    assert slots_of(events)["contact_phone"] == "13905712384"
    assert noted.messages[0]["custom"]["ticket"] == number and "139****2384" in said(noted)
    found = await closed_hall.lookup_tickets(me, number=number, phone="13905712384")
    assert [t["number"] for t in found] == [number]  # the phone is the ticket's now

    declined = CollectingDispatcher()
    await ActionHandoffContact().run(declined, waiting("电话不留了 有人在线回我就行"), {})
    assert number in said(declined) and "不留电话" in said(declined)

    # Anything else, or anything once staff have written, is for staff: the bot stays silent.
    for text, since in (("你好，有人吗", ()), ("13905712384", ({"event": "bot", "text": "【王警官】您好",
                                                                "data": {"custom": {"human": {"staff_name": "王警官"}}}},))):
        quiet = CollectingDispatcher()
        assert await ActionHandoffContact().run(quiet, waiting(text, *since), {}) == []
        assert quiet.messages == []


async def test_bad_rating_opens_feedback_form_good_rating_does_not(matcher, hall):
    good = await ActionRecordRating().run(CollectingDispatcher(), tracker(
        {"text": "/rate", "intent": {"name": "rate"}, "entities": [{"entity": "rating", "value": "5"}]}, sender="r1"), {})
    assert slots_of(good)["ticket_kind"] is None
    bad = await ActionRecordRating().run(CollectingDispatcher(), tracker(
        {"text": "非常不满意", "intent": {"name": "rate"}, "entities": []}, sender="r2"), {})
    assert slots_of(bad)["ticket_kind"] == "feedback" and slots_of(bad)["rating"] == "1"


async def test_hall_down_gets_an_apology_and_the_hotline(matcher, monkeypatch):
    monkeypatch.setattr(hall_module, "_client", HallClient("http://127.0.0.1:9", TOKEN))
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerMatter().run(dispatcher, tracker(parsed(matcher, "身份证下个月就过期了", "ask_matter")), {})
    assert dispatcher.messages[0]["response"] == "utter_hall_unavailable"
    domain = (ROOT / "domain.yml").read_text(encoding="utf-8")
    assert "12345" in domain.split("utter_hall_unavailable:")[1].split("utter_")[0]
    assert isinstance(events, list)
    opener = CollectingDispatcher()
    await ActionOpenTicket().run(opener, tracker({"text": "同意", "intent": {"name": "affirm"}, "entities": []},
                                                 {"ticket_kind": "fallback", "problem_description": "白跑一趟"}), {})
    assert "12345" in said(opener, 0)


def test_reading_the_conversation_stays_asked_across_a_correction():
    from actions.tickets import consent_pending

    def bot(response):
        return {"event": "bot", "text": "", "metadata": {"utter_action": response}}

    def of(*events):
        return Tracker("c", {}, {}, list(events), False, None, {}, "action_listen")

    user = {"event": "user", "text": "x"}
    asked = [bot("utter_ticket_opened"), bot("utter_ask_transcript_consent")]
    assert consent_pending(of(*asked, user))
    assert consent_pending(of(*asked, user, bot("utter_ticket_details_added"), user))  # "电话说错了，是…"
    assert not consent_pending(of(*asked, user, bot("utter_no_consent"), user))
    assert not consent_pending(of(*asked, user, bot("utter_ticket_opened"), user))  # another ticket since
    assert not consent_pending(of(bot("utter_greet"), user))
