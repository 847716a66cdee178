"""What the bot says, as WeChat text: numbered choices for buttons, pieces within WeChat's size
limit, and the output channel that collects them for a passive reply or sends them through the outbox.

WeChat shows no buttons in an official account's chat, so `render_buttons` numbers them and the input
channel (bot.channels.wechat) maps a bare number back to the button's payload.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Iterable, List, Text

from rasa.core.channels.channel import OutputChannel

from bot.channels.outbox import OutboxWorker
from bot.vocabulary import Channel

TEXT_LIMIT = 2000  # bytes of one text message (WeChat's limit is 2048)


def render_buttons(text: str, buttons: Iterable[Dict[str, Any]]) -> str:
    """Buttons become numbered choices; the citizen answers with the number.

    The channel remembers the buttons' payloads per citizen and sends the chosen one on when the
    answer is a bare number, exactly what a tap on the web widget sends. (The dialogue also maps
    "1", "第二个", "最后那个" for clarifications by itself, but not for the 好差评 buttons, whose
    numbers would read as the opposite rating.) Anything else is sent on as typed.
    """
    titles = [str(b.get("title") or b.get("payload") or "").strip() for b in buttons]
    titles = [t for t in titles if t]
    if not titles:
        return text
    lines = [f"{i}. {title}" for i, title in enumerate(titles, 1)]
    return (text.rstrip() + "\n" if text else "") + "回复序号：\n" + "\n".join(lines)


def split_text(text: str, limit: int = TEXT_LIMIT) -> List[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at line ends where possible."""
    text = (text or "").strip()
    if not text:
        return []
    pieces: List[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode()) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(line.encode()) > limit:  # one very long line: cut by characters
            cut = len(line)
            while len(line[:cut].encode()) > limit:
                cut = max(1, cut * limit // len(line[:cut].encode()) - 1)
            pieces.append(line[:cut])
            line = line[cut:]
        current = line
    if current.strip():
        pieces.append(current)
    return pieces


class WeChatOutput(OutputChannel):
    """Collects the bot's messages for a passive reply, or sends them through the outbox.

    `collecting=True` while a passive reply is still possible; `switch_to_outbox()` hands what was
    collected (in order) to the outbox, and everything after it goes there directly.
    """

    def __init__(self, outbox: OutboxWorker, collecting: bool = False) -> None:
        self.outbox = outbox
        self.collecting = collecting
        self.store = outbox.store
        self.collected: List[str] = []
        self._lock = asyncio.Lock()

    @classmethod
    def name(cls) -> Text:
        return Channel.WECHAT.value

    async def _emit(self, recipient_id: Text, text: Text) -> None:
        if not text or not text.strip():
            return
        async with self._lock:
            if self.collecting:
                self.collected.append(text.strip())
            else:
                await self.outbox.enqueue(recipient_id, split_text(text))

    async def switch_to_outbox(self, recipient_id: Text) -> None:
        async with self._lock:
            self.collecting = False
            texts, self.collected = self.collected, []
            pieces = [piece for text in texts for piece in split_text(text)]
            await self.outbox.enqueue(recipient_id, pieces)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._emit(recipient_id, text)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self._offer(recipient_id, buttons)
        await self._emit(recipient_id, render_buttons(text, buttons))

    async def send_quick_replies(self, recipient_id: Text, text: Text,
                                 quick_replies: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self._offer(recipient_id, quick_replies)
        await self._emit(recipient_id, render_buttons(text, quick_replies))

    async def _offer(self, recipient_id: Text, buttons: List[Dict[Text, Any]]) -> None:
        """Remember what each number stands for, so "1" becomes the first button's payload."""
        payloads = [str(b.get("payload") or b.get("title") or "") for b in buttons
                    if str(b.get("title") or b.get("payload") or "").strip()]
        if payloads:
            await asyncio.to_thread(self.store.offer_choices, recipient_id, payloads)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._emit(recipient_id, f"图片：{image}")

    async def send_attachment(self, recipient_id: Text, attachment: Any, **kwargs: Any) -> None:
        await self._emit(recipient_id, f"附件：{attachment}")

    async def send_elements(self, recipient_id: Text, elements: Iterable[Dict[Text, Any]], **kwargs: Any) -> None:
        for element in elements:
            text = "\n".join(x for x in (element.get("title"), element.get("subtitle")) if x)
            await self._emit(recipient_id, render_buttons(text, element.get("buttons") or []))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        # The actions' json_message is for the web chat's cards; the text came with it already.
        if isinstance(json_message, dict) and isinstance(json_message.get("wechat_text"), str):
            await self._emit(recipient_id, json_message["wechat_text"])
