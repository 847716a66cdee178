"""A tiny stand-in for Rasa's HTTP API on loopback that records every call."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List
from urllib.parse import parse_qs, urlparse


class RasaStub:
    def __init__(self, events: List[Dict[str, Any]] = None, channel: str = "rest"):
        self.calls: List[Dict[str, Any]] = []
        self.tracker_events = events or []
        self.channel = channel  # the tracker's latest_input_channel
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _record(self, body):
                url = urlparse(self.path)
                stub.calls.append({"method": self.command, "path": url.path, "query": parse_qs(url.query),
                                   "json": body})

            def _reply(self, payload, status=200):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._record(None)
                if self.path.split("?")[0].endswith("/tracker"):
                    sender = self.path.split("/")[2]
                    return self._reply({"sender_id": sender, "events": stub.tracker_events,
                                        "latest_input_channel": stub.channel})
                self._reply({"error": "not found"}, 404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                self._record(body)
                self._reply({"tracker": {}, "messages": []})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
