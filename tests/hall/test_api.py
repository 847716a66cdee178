"""The JSON API against the real app and a real database."""

from __future__ import annotations

import asyncio
import re

import httpx

from tests.hall.conftest import SERVICE, login_token, ticket_body


def test_healthz_and_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/openapi.json").status_code == 200


def test_no_listing_without_auth(client):
    for path in ("/api/tickets", "/api/departments", "/api/matters"):
        r = client.get(path)
        assert r.status_code == 401
        assert re.search(r"[\u4e00-\u9fff]", r.json()["detail"])
    assert client.get("/api/tickets", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_departments_and_matters(client):
    r = client.get("/api/departments", headers=SERVICE)
    assert {"code": "gongan", "name": "省公安厅（公安机关）", "note": "户籍、身份证", "phone": "110"} in r.json()["items"]
    r = client.get("/api/matters", params={"q": "身份证"}, headers=SERVICE).json()
    assert r["items"][0]["code"] == "gongan.id_card_renew"
    assert set(r["items"][0]) == {"code", "name", "department", "kind", "summary", "visits"}
    r = client.get("/api/matters", params={"kind": "complaint"}, headers=SERVICE).json()
    assert [m["code"] for m in r["items"]] == ["scjg.consumer_complaint", "zwfw.fallback"] and r["total"] == 2
    r = client.get("/api/matters", params={"department": "gongan", "limit": 1}, headers=SERVICE).json()
    assert len(r["items"]) == 1 and r["total"] == 3


def test_matter_guide(client):
    g = client.get("/api/matters/gongan.id_card_renew", headers=SERVICE).json()
    assert g["department_name"] == "省公安厅（公安机关）"
    assert g["materials"][0]["name"] == "居民身份证" and g["fee"]["amount"] == "20元"
    b = client.get("/api/matters/yjs.newborn", headers=SERVICE).json()
    names = [m["name"] for m in b["merged_materials"]]
    assert names.count("居民户口簿") == 1
    assert {m["code"] for m in b["member_guides"]} == {"gongan.hukou_birth", "gongan.id_card_renew"}
    r = client.get("/api/matters/nope.nothing", headers=SERVICE)
    assert r.status_code == 404 and "事项" in r.json()["detail"]


def test_create_ticket_shape_and_idempotency(client):
    body = ticket_body()
    r = client.post("/api/tickets", json=body, headers=SERVICE)
    assert r.status_code == 201, r.text
    t = r.json()
    assert re.fullmatch(r"ZJ\d{8}-[34679ACDEFGHJKMNPQRTUVWXY]{6}", t["number"])
    assert t["contact_phone_masked"] == "138****5678" and "13812345678" not in r.text
    assert t["promised_response"].startswith("3个工作日内")
    assert t["department_name"] == "省市场监督管理局" and t["matter_name"] == "消费者投诉"
    assert t["status"] == "open" and t["due_at"] > t["created_at"]
    again = client.post("/api/tickets", json=body, headers=SERVICE)
    assert again.status_code == 200 and again.json() == t
    second = client.post("/api/tickets", json=ticket_body(), headers=SERVICE).json()
    assert second["number"] != t["number"] and second["number"][:11] == t["number"][:11]  # random suffix


def test_ticket_defaults_and_unknowns(client):
    t = client.post("/api/tickets", json=ticket_body(kind="handoff", department=None, matter=None),
                    headers=SERVICE).json()
    assert t["department"] == "zwfw"
    t = client.post("/api/tickets", json=ticket_body(department=None), headers=SERVICE).json()
    assert t["department"] == "scjg"
    for bad in ({"department": "nowhere", "matter": None}, {"matter": "x.y"}, {"kind": "spam"},
                {"rating": 9}, {"contact_phone": "<script>"}, {"about_matter": "x.y"}):
        r = client.post("/api/tickets", json=ticket_body(**bad), headers=SERVICE)
        assert r.status_code == 422, (bad, r.text)
        assert re.search(r"[\u4e00-\u9fff]", r.json()["detail"])


def test_a_fallback_ticket_is_filed_under_zwfw_and_names_the_matter_it_is_about(client):
    t = client.post("/api/tickets", json=ticket_body(kind="fallback", department=None, matter="zwfw.fallback",
                                                      about_matter="gongan.id_card_renew"), headers=SERVICE)
    assert t.status_code == 201, t.text
    t = t.json()
    assert (t["department"], t["matter"], t["about_matter"]) == ("zwfw", "zwfw.fallback", "gongan.id_card_renew")
    assert t["matter_name"] == "跑一次没办成兜底受理" and t["about_matter_name"] == "居民身份证有效期满换领"


def test_bad_feedback_ticket_sla(client):
    t = client.post("/api/tickets", json=ticket_body(kind="feedback", rating=1, matter=None, department="zwfw"),
                    headers=SERVICE).json()
    assert "1个工作日内回访" in t["promised_response"]


def test_concurrent_same_key_makes_one_ticket(app):
    body = ticket_body()

    async def run():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hall") as c:
            return await asyncio.gather(*[c.post("/api/tickets", json=body, headers=SERVICE) for _ in range(8)])

    responses = asyncio.run(run())
    assert sorted(r.status_code for r in responses).count(201) == 1
    assert len({r.json()["number"] for r in responses}) == 1


def test_concurrent_numbers_are_unique(app, client):
    async def run():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hall") as c:
            return await asyncio.gather(*[c.post("/api/tickets", json=ticket_body(), headers=SERVICE)
                                          for _ in range(12)])

    responses = asyncio.run(run())
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    numbers = sorted(r.json()["number"] for r in responses)
    assert len(set(numbers)) == 12 and len({n[:11] for n in numbers}) == 1  # unique, same day, random suffix


def test_lookup_only_own_tickets(client):
    mine = client.post("/api/tickets", json=ticket_body(conversation_id="me", contact_phone="13900001111"),
                       headers=SERVICE).json()
    client.post("/api/tickets", json=ticket_body(conversation_id="other", contact_phone="13700002222"),
                headers=SERVICE)

    def lookup(**body):
        return client.post("/api/tickets/lookup", json=body, headers=SERVICE)

    assert [t["number"] for t in lookup(number=mine["number"], conversation_id="me").json()["items"]] == [mine["number"]]
    assert [t["number"] for t in lookup(number=mine["number"], phone="139-0000-1111").json()["items"]] == [mine["number"]]
    assert [t["number"] for t in lookup(phone="13900001111", conversation_id="me").json()["items"]] == [mine["number"]]
    # someone else's number with my conversation, a number alone, a phone alone: nothing
    assert lookup(number=mine["number"], conversation_id="other").json()["items"] == []
    assert lookup(phone="13700002222", conversation_id="me").json()["items"] == []
    assert lookup(number=mine["number"]).status_code == 422
    assert lookup(phone="13900001111").status_code == 422
    assert lookup(conversation_id="me").status_code == 422


def test_lookup_and_create_need_service_token(client, make_user):
    make_user("zhang", "supervisor", None)
    staff = login_token(client, "zhang")
    assert client.post("/api/tickets", json=ticket_body(), headers=staff).status_code == 403
    assert client.post("/api/tickets/lookup", json={"phone": "1", "conversation_id": "x"}, headers=staff).status_code == 403


def test_department_isolation(client, make_user):
    make_user("li", "staff", "gongan")
    make_user("boss", "supervisor", None)
    scjg_ticket = client.post("/api/tickets", json=ticket_body(), headers=SERVICE).json()
    gongan_ticket = client.post("/api/tickets", json=ticket_body(kind="guidance", department="gongan", matter=None),
                                headers=SERVICE).json()
    li = login_token(client, "li")
    assert client.get(f"/api/tickets/{scjg_ticket['number']}", headers=li).status_code == 403
    assert client.get(f"/api/tickets/{gongan_ticket['number']}", headers=li).status_code == 200
    listed = client.get("/api/tickets", headers=li).json()["items"]
    assert [t["number"] for t in listed] == [gongan_ticket["number"]]
    assert client.get("/api/tickets", params={"department": "scjg"}, headers=li).json()["items"] == []
    boss = login_token(client, "boss")
    assert len(client.get("/api/tickets", headers=boss).json()["items"]) == 2
    assert client.get(f"/api/tickets/{scjg_ticket['number']}", headers=boss).status_code == 200
    by_conv = client.get("/api/tickets", params={"conversation_id": "conv-1", "kind": "complaint"}, headers=SERVICE)
    assert [t["number"] for t in by_conv.json()["items"]] == [scjg_ticket["number"]]


def test_login_errors_and_rate_limit(client, make_user):
    make_user("wang", "staff", "gongan")
    for _ in range(5):
        r = client.post("/api/auth/login", json={"username": "wang", "password": "wrong"})
        assert r.status_code == 401 and r.json()["detail"] == "用户名或密码错误"
    r = client.post("/api/auth/login", json={"username": "wang", "password": "correct-horse-1"})
    assert r.status_code == 429
    assert client.post("/api/auth/login", json={"username": "nobody", "password": "x"}).status_code == 401


def test_bad_inputs_are_4xx_in_chinese(client):
    cases = [
        (b"{not json", "application/json", 400),
        (b"\xff\xfe\x00bad", "application/json", 400),
        (b'{"kind": "complaint"}', "application/json", 422),
        (b"[1,2,3]", "application/json", 422),
        (b"x" * (64 * 1024 + 1), "application/json", 413),
    ]
    for body, ctype, status in cases:
        r = client.post("/api/tickets", content=body, headers={**SERVICE, "Content-Type": ctype})
        assert r.status_code == status, (body[:20], r.status_code, r.text)
        assert re.search(r"[\u4e00-\u9fff]", r.json()["detail"]), r.text
    r = client.post("/api/auth/login", content=b"\xc3\x28", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert client.get("/api/nothing-here").json()["detail"] == "未找到"


def test_ratings_idempotent_and_unmatched(client):
    body = {"conversation_id": "c", "level": 5, "matter": None, "ticket": None, "channel": "rest",
            "idempotency_key": "r-1"}
    first = client.post("/api/ratings", json=body, headers=SERVICE)
    assert first.status_code == 201 and first.json()["level_name"] == "非常满意"
    again = client.post("/api/ratings", json=body, headers=SERVICE)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert client.post("/api/ratings", json={**body, "level": 0, "idempotency_key": "r-2"}, headers=SERVICE).status_code == 422
    r = client.post("/api/unmatched", json={"conversation_id": "c", "text": "我想办个啥", "channel": "rest"},
                    headers=SERVICE)
    assert r.status_code == 201


def test_hostile_inputs_never_500(client):
    probes = [
        ("post", "/api/tickets", {"content": b"[" * 60000, "headers": {**SERVICE, "Content-Type": "application/json"}}),
        ("get", "/api/matters?q=%FF%FE", {"headers": SERVICE}),
        ("get", "/api/matters?limit=99999999999999999999999", {"headers": SERVICE}),
        ("get", "/api/tickets/%00%FF", {"headers": SERVICE}),
        ("post", "/console/login", {"content": b"username=%FF&password=%FE&csrf=", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
        ("post", "/console/login", {"content": b"\xff\xfe", "headers": {"Content-Type": "multipart/form-data; boundary=x"}}),
        ("post", "/api/ratings", {"json": {"conversation_id": "c", "level": "五", "idempotency_key": "k"}, "headers": SERVICE}),
        ("post", "/api/tickets", {"json": ticket_body(conversation_id="x" * 5000), "headers": SERVICE}),
        ("post", "/api/auth/login", {"json": {"username": None, "password": 1}}),
    ]
    for method, url, kwargs in probes:
        r = getattr(client, method)(url, **kwargs)
        assert 400 <= r.status_code < 500, (url, r.status_code, r.text[:200])


def test_storable_columns_keep_sqlalchemy_statement_caching():
    # SQLAlchemy reads `cache_ok` from each TypeDecorator class's own namespace: without it every
    # query naming a text column is compiled again (and warns), on every request.
    from sqlalchemy.sql.traversals import NO_CACHE

    from bot.hall.models import StorableString, StorableText

    for column_type in (StorableString(40), StorableText()):
        assert column_type._static_cache_key is not NO_CACHE
