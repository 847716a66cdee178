"""A conversation as staff read it: who said what, in words, once.

Built from Rasa's tracker events (read through the HTTP API) and the ticket's attachments:

* a button click is shown as the button's title (``/affirm`` → 同意, ``/rate{"rating": "4"}`` → 满意),
  never as the payload;
* a staff reply relayed by the bot is the staff member's (role ``staff``, their display name),
  not the bot's; each message appears once;
* pausing and resuming the bot (human mode) are ``system`` lines.

Items: ``{"at", "role": "citizen|bot|staff|system", "author", "text", "attachments"}``, oldest first;
``at`` is ISO 8601 in Asia/Shanghai. ``summary`` condenses the same events for the top of the ticket:
the matter, what the bot already answered, what the citizen still asks.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Dict, Iterable, List, Optional
from urllib.parse import urlsplit

from bot.hall import sla
from bot.vocabulary import RATING_LEVELS, Aspect, Role

CITIZEN, BOT, SYSTEM = "citizen", "bot", "system"
STAFF = Role.STAFF.value  # the transcript's role of staff is the staff role's code
ROLE_NAMES = {CITIZEN: "群众", BOT: "机器人", STAFF: "工作人员", SYSTEM: "系统"}
STAFF_UTTERANCES = ("utter_staff_message",)
# What a typed-in intent payload means when no button of the conversation offered it.
INTENT_WORDS = {"affirm": "同意", "deny": "不同意", "human_handoff": "转人工", "greet": "你好",
                "goodbye": "再见", "thank": "谢谢", "ticket_status": "查询工单"}
PAYLOAD_RE = re.compile(r"^/([A-Za-z_][\w-]*)(\{.*\})?$", re.S)


def at_of(timestamp: Any) -> Optional[str]:
    if not isinstance(timestamp, (int, float)):
        return None
    return dt.datetime.fromtimestamp(timestamp, sla.TZ).isoformat(timespec="seconds")


def _rating_words(entities: Dict[str, Any]) -> Optional[str]:
    try:
        level = int(str(entities.get("rating", "")).strip())
    except ValueError:
        return None
    return RATING_LEVELS.get(level)


def readable_payload(text: str, titles: Dict[str, str]) -> str:
    """What a citizen meant by a payload: the title of the button that sent it, or words for it."""
    if text in titles:
        return titles[text]
    found = PAYLOAD_RE.match(text.strip())
    if not found:
        return text
    intent, raw = found.group(1), found.group(2)
    try:
        entities = json.loads(raw) if raw else {}
    except ValueError:
        entities = {}
    if intent == "rate" and isinstance(entities, dict):
        words = _rating_words(entities)
        if words:
            return words
    if intent in INTENT_WORDS:
        return INTENT_WORDS[intent]
    return "（点选了一个选项）"


def staff_of(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The `human` payload of a staff message relayed by the bot, or None for the bot's own."""
    data = event.get("data") or {}
    custom = data.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("human"), dict):
        return custom["human"]
    if (event.get("metadata") or {}).get("utter_action") in STAFF_UTTERANCES:
        return {}
    return None


def _bot_text(event: Dict[str, Any]) -> str:
    text = event.get("text") or ""
    return text


def _staff_text(text: str) -> str:
    return re.sub(r"^【[^】]{0,60}】", "", text or "").strip()


def items_of(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Transcript items of a tracker's events (attachments not included)."""
    items: List[Dict[str, Any]] = []
    titles: Dict[str, str] = {}
    seen = set()
    for event in events or []:
        kind = event.get("event")
        at = at_of(event.get("timestamp"))
        if kind == "user":
            raw = event.get("text") or ""
            text = readable_payload(raw, titles) if raw.startswith("/") else raw
            item = {"at": at, "role": CITIZEN, "author": ROLE_NAMES[CITIZEN], "text": text, "attachments": []}
        elif kind == "bot":
            data = event.get("data") or {}
            for button in (data.get("buttons") or data.get("quick_replies") or []):
                if isinstance(button, dict) and button.get("payload"):
                    titles[str(button["payload"])] = str(button.get("title") or "")
            human = staff_of(event)
            if human is not None:
                name = human.get("staff_name") or ROLE_NAMES[STAFF]
                dept = human.get("department_name")
                item = {"at": at, "role": STAFF, "author": f"{name}（{dept}）" if dept else name,
                        "text": _staff_text(_bot_text(event)), "attachments": []}
            else:
                text = _bot_text(event)
                if not text:
                    continue  # a payload-only message (a card's data): its text was sent with it
                item = {"at": at, "role": BOT, "author": ROLE_NAMES[BOT], "text": text, "attachments": []}
        elif kind == "pause":
            item = {"at": at, "role": SYSTEM, "author": ROLE_NAMES[SYSTEM], "text": "人工服务中，机器人暂停应答",
                    "attachments": []}
        elif kind == "resume":
            if items and items[-1]["role"] == SYSTEM and items[-1]["text"].startswith("人工服务结束"):
                continue
            item = {"at": at, "role": SYSTEM, "author": ROLE_NAMES[SYSTEM], "text": "人工服务结束，机器人继续应答",
                    "attachments": []}
        else:
            continue
        key = (item["role"], item["text"], event.get("timestamp"))
        if key in seen:  # the same event twice (a replayed tracker): once is enough
            continue
        seen.add(key)
        items.append(item)
    return items


def attachment_items(rows: Iterable[Any], number: str, author_names: Dict[str, str]) -> List[Dict[str, Any]]:
    """One item per attachment row (models.Attachment)."""
    out = []
    for row in rows:
        created = row.created_at.replace(tzinfo=dt.timezone.utc) if row.created_at.tzinfo is None else row.created_at
        role = STAFF if row.uploaded_by == STAFF else CITIZEN
        author = author_names.get(row.author or "", ROLE_NAMES[STAFF]) if role == STAFF else ROLE_NAMES[CITIZEN]
        out.append({"at": created.astimezone(sla.TZ).isoformat(timespec="seconds"), "role": role, "author": author,
                    "text": f"发送了附件：{row.name}", "attachments": [attachment_json(row, number)]})
    return out


REMOTE_IMAGE = "微信图片链接（未下载）"  # an attachment kept only as its WeChat PicUrl


def attachment_json(row: Any, number: str) -> Dict[str, Any]:
    """`source_url` is where a channel said the file is; `source_label` says when that link is all
    the hall has (a WeChat image whose media could not be fetched: `url` then answers 404)."""
    return {"id": row.id, "name": row.name, "content_type": row.content_type, "size": row.size,
            "url": f"/api/tickets/{number}/attachments/{row.id}", "source_url": row.source_url,
            "source_label": REMOTE_IMAGE if row.data is None and row.source_url else None}


def web_link(url: Any) -> Optional[str]:
    """The URL when staff may open it as a link (http or https with a host); None for anything else
    (`javascript:`, `data:`, relative), which is shown as plain text."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url if url.lower().startswith(("http://", "https://")) else None


def merged(items: List[Dict[str, Any]], extra: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Both lists by time (stable: items without a time keep their place at the start)."""
    return sorted(items + extra, key=lambda i: i.get("at") or "")


def summary(events: Iterable[Dict[str, Any]], matter_names: Dict[str, str]) -> Dict[str, Any]:
    """What staff read first: the matters talked about, what the bot answered, what is still asked.

    `matter_names`: code → name of the catalogue. A citizen message "still asked" is one the bot
    did not answer with a matter's guide (it asked to rephrase, or was paused for staff)."""
    events = list(events or [])
    matters: List[str] = []
    answered: List[str] = []
    asks: List[str] = []
    titles: Dict[str, str] = {}
    pending: Optional[str] = None
    aspects = Aspect.labels()

    def close(answer: bool) -> None:
        nonlocal pending
        if pending and not answer:
            asks.append(pending)
        pending = None

    for event in events:
        kind = event.get("event")
        if kind == "user":
            close(False)
            raw = event.get("text") or ""
            text = readable_payload(raw, titles) if raw.startswith("/") else raw
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            # Clicks, greetings and form answers are not questions.
            pending = text if not raw.startswith("/") and intent not in ("greet", "thank", "goodbye", "affirm",
                                                                          "deny", "rate", "inform") else None
        elif kind == "bot":
            data = event.get("data") or {}
            for button in (data.get("buttons") or []):
                if isinstance(button, dict) and button.get("payload"):
                    titles[str(button["payload"])] = str(button.get("title") or "")
            custom = data.get("custom") if isinstance(data.get("custom"), dict) else {}
            code = custom.get("matter")
            if isinstance(code, str) and code:
                name = matter_names.get(code, code)
                if name not in matters:
                    matters.append(name)
                line = f"{name}：{aspects.get(custom.get('aspect') or 'overview', '总览')}"
                if line not in answered:
                    answered.append(line)
                close(True)
            elif custom.get("ticket") or custom.get("tickets"):
                close(True)
    close(False)
    return {"matters": matters, "answered": answered, "asks": asks[-3:]}
