"""Issue #16: a WeChat image kept only as its PicUrl (no account secret to fetch the media) is
shown to staff of the ticket's department as what it is: the link, labelled 微信图片链接（未下载）,
in the staff JSON API and on the console's ticket page; in HTML only an http(s) URL becomes a link
(new tab, no opener, no referrer), anything else is escaped text."""

from __future__ import annotations

import re

from bot.hall.transcript import REMOTE_IMAGE, web_link
from tests.hall.conftest import SERVICE
from tests.hall.test_console import console_login
from tests.hall.test_human_phase import new_ticket, png, staff, stub  # noqa: F401  (stub is a fixture)

GOOD = "https://mmbiz.qpic.cn/mmbiz_jpg/abc/0?wx_fmt=jpeg&from=appmsg"
SCRIPT = 'http://x.example/"><script>alert(1)</script>'
HOSTILE = ["javascript:alert(1)", " JavaScript:alert(2)", "data:text/html,<script>alert(3)</script>", "//evil.example/x"]


def test_web_link_allows_only_http_and_https():
    assert web_link(GOOD) == GOOD and web_link("HTTP://a.example/x") == "HTTP://a.example/x"
    assert [web_link(u) for u in HOSTILE + ["http://", "ftp://a.example/x", "http://[::1", None]] == [None] * 8


def remote(client, conv: str, url: str):
    r = client.post(f"/api/conversations/{conv}/attachments", json={"source_url": url}, headers=SERVICE)
    assert r.status_code == 201, r.text
    return r.json()


def test_staff_see_the_picurl_in_the_api_and_the_console(client, make_user, stub):
    auth = staff(client, make_user)  # li, 市场监管 (the ticket's department)
    other = staff(client, make_user, "zhao", "gongan")
    t = new_ticket(client, conversation_id="wx-openid-9", channel="wechat")
    made = [remote(client, "wx-openid-9", u) for u in [GOOD, SCRIPT] + HOSTILE]
    assert made[0]["source_url"] == GOOD and made[0]["source_label"] == REMOTE_IMAGE == "微信图片链接（未下载）"
    r = client.post("/api/conversations/wx-openid-9/attachments", files={"file": ("a.png", png(), "image/png")},
                    headers=SERVICE)
    assert r.status_code == 201 and r.json()["source_label"] is None  # a file the hall holds: no label

    items = client.get(f"/api/tickets/{t['number']}/attachments", headers=auth).json()["items"]
    assert [(i["source_url"], i["source_label"]) for i in items] == \
        [(u, REMOTE_IMAGE) for u in [GOOD, SCRIPT] + HOSTILE] + [(None, None)]
    assert client.get(items[0]["url"], headers=auth).status_code == 404  # nothing downloaded to serve
    transcript = client.get(f"/api/tickets/{t['number']}/transcript", headers=auth).json()["items"]
    shown = [a for i in transcript for a in i["attachments"]]
    assert [(a["source_url"], a["source_label"]) for a in shown] == [(i["source_url"], i["source_label"]) for i in items]
    assert client.get(f"/api/tickets/{t['number']}/attachments", headers=other).status_code == 403

    console_login(client, "li")
    page = client.get(f"/console/tickets/{t['number']}").text
    links = re.findall(r'<a href="([^"]*)" target="_blank" rel="noopener noreferrer">', page)
    good = GOOD.replace("&", "&amp;")
    script = "http://x.example/&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert links == [good, script] * 2  # the list of attachments and the transcript
    assert page.count(REMOTE_IMAGE) == 2 * 6
    assert "<script>alert" not in page and "javascript:alert" in page  # shown, as text
    assert not re.search(r'href="\s*(javascript|data|//)', page, re.I)
    assert "&lt;script&gt;alert(3)" in page  # the data: URL is escaped text too
    client.cookies.clear()
    console_login(client, "zhao")
    assert client.get(f"/console/tickets/{t['number']}").status_code == 403
