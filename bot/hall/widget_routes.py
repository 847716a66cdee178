"""The web widget's files and the demo portal page, served by the hall.

* ``/widget.js``: the embeddable widget (one ``<script>`` line, see docs/widget.md);
* ``/widget/widget.css``: its style sheet (widget.js adds it to the page);
* ``/widget/socket.io.min.js``: the socket.io client, from node_modules (``npm ci``), never
  copied into the repository;
* ``/widget/history``: the bot's messages of a widget conversation after a time, so a citizen
  who comes back (a reload, a dropped connection, the tab closed while staff replied) sees what
  was sent meanwhile. The hall reads Rasa's tracker with its own token; the browser never has
  one. Only conversations whose last message came in through the socket.io channel answer, and
  only by their session id, which the widget got from the server (a random 128-bit id);
* ``/``: a demo 政务服务 portal page with the widget open in a corner, talking to RASA_URL.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from bot.channels.widget_format import widget_message
from bot.hall.rasa_client import RasaClient, RasaUnavailable
from bot.settings import ROOT
from bot.vocabulary import Channel

HERE = Path(__file__).resolve().parent
WIDGET_DIR = HERE / "static" / "widget"
SOCKETIO_CLIENT = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
CACHE = {"Cache-Control": "public, max-age=300"}
# The same check as bot.channels.socketio.valid_session_id (not imported: that pulls in Rasa).
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
HISTORY_LIMIT = 50

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(HERE / "templates"))


@router.get("/widget.js")
def widget_js() -> Response:
    return FileResponse(WIDGET_DIR / "widget.js", media_type="text/javascript; charset=utf-8", headers=CACHE)


@router.get("/widget/widget.css")
def widget_css() -> Response:
    return FileResponse(WIDGET_DIR / "widget.css", media_type="text/css; charset=utf-8", headers=CACHE)


@router.get("/widget/socket.io.min.js")
def socketio_client() -> Response:
    if not SOCKETIO_CLIENT.exists():
        return PlainTextResponse(
            "// socket.io-client is not installed: run `npm ci` in the repository (scripts/bootstrap.sh does).\n",
            status_code=503, media_type="text/javascript; charset=utf-8",
        )
    return FileResponse(SOCKETIO_CLIENT, media_type="text/javascript; charset=utf-8", headers=CACHE)


def _history_response(body: Dict[str, Any], status: int = 200) -> JSONResponse:
    # Read from any page that embeds the widget; no cookies are involved.
    return JSONResponse(body, status_code=status,
                        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"})


def bot_messages(tracker: Dict[str, Any], after: float) -> List[Dict[str, Any]]:
    """The bot's messages after `after` (epoch seconds), in the widget's bot_uttered shape."""
    messages = []
    for event in tracker.get("events") or []:
        if event.get("event") != "bot" or float(event.get("timestamp") or 0) <= after:
            continue
        data = event.get("data") or {}
        message = widget_message(event.get("timestamp"), event.get("text"),
                                 data.get("buttons") or data.get("quick_replies"), data.get("custom"))
        if len(message) > 1:
            messages.append(message)
    return messages[-HISTORY_LIMIT:]


@router.get("/widget/history")
async def history(request: Request, session: str = "", after: float = 0.0) -> Response:
    if not SESSION_ID_RE.match(session):
        return _history_response({"detail": "无效的会话编号"}, 400)
    settings = request.app.state.hall.settings
    try:
        tracker = await RasaClient(settings.rasa_url, settings.rasa_token).tracker(session)
    except RasaUnavailable:
        return _history_response({"detail": "对话引擎暂时不可用"}, 503)
    if (tracker or {}).get("latest_input_channel") != Channel.SOCKETIO:
        return _history_response({"messages": []})  # not a widget conversation: nothing to show
    return _history_response({"messages": bot_messages(tracker, after)})


@router.get("/", response_class=HTMLResponse)
def demo(request: Request) -> Response:
    state = request.app.state.hall
    catalogue = state.catalogue()
    # The portal's figures come from the catalogue the hall serves, not from a brochure.
    matters = list(catalogue.matters.values()) if catalogue else []
    stats = {
        "matters": len(matters),
        "zero_trip": round(100 * sum(1 for m in matters if m.visits == 0) / len(matters)) if matters else 0,
        "departments": len(catalogue.departments) if catalogue else 0,
    }
    return templates.TemplateResponse(
        request, "demo.html",
        {"rasa_url": state.settings.rasa_url, "hall_url": str(request.base_url).rstrip("/"), "stats": stats},
    )
