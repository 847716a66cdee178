"""The web widget's files and the demo portal page, served by the hall.

* ``/widget.js``: the embeddable widget (one ``<script>`` line, see docs/widget.md);
* ``/widget/widget.css``: its style sheet (widget.js adds it to the page);
* ``/widget/socket.io.min.js``: the socket.io client, from node_modules (``npm ci``), never
  copied into the repository;
* ``/``: a demo 政务服务 portal page with the widget open in a corner, talking to RASA_URL.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from bot.settings import ROOT

HERE = Path(__file__).resolve().parent
WIDGET_DIR = HERE / "static" / "widget"
SOCKETIO_CLIENT = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
CACHE = {"Cache-Control": "public, max-age=300"}

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


@router.get("/", response_class=HTMLResponse)
def demo(request: Request) -> Response:
    settings = request.app.state.hall.settings
    return templates.TemplateResponse(
        request, "demo.html", {"rasa_url": settings.rasa_url, "hall_url": str(request.base_url).rstrip("/")}
    )
