"""Issue #19, the hall's security and privacy findings, each sent as an attacker (or a curious
staff member) would send it."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import stat

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bot.hall import models
from bot.hall.app import create_app
from bot.hall.auth import real_client, verify_password
from bot.hall.users import UserError, add_user
from bot.settings import load_settings
from tests.hall.conftest import PASSWORD, SERVICE, login_token, ticket_body
from tests.hall.test_console import console_login, csrf_of

WRONG = "not-the-password"


def api_login(client, username, password=PASSWORD, **headers):
    return client.post("/api/auth/login", json={"username": username, "password": password}, headers=headers)


# --- 1. the login limit ---------------------------------------------------------------------------

def test_a_new_forwarded_for_per_try_does_not_reset_the_limit(client, make_user):
    """The probe: 200 wrong passwords, each with another X-Forwarded-For, then the right one."""
    make_user("li")
    codes = [api_login(client, "li", WRONG, **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code
             for i in range(30)]
    assert 429 in codes and codes.index(429) <= 6, codes
    assert api_login(client, "li", **{"X-Forwarded-For": "198.51.100.7"}).status_code == 429


@pytest.fixture
def proxied(settings, admin_password, monkeypatch):
    """The hall behind a proxy at 10.0.0.1 (ONETRIP_TRUSTED_PROXIES): two replicas, one database."""
    monkeypatch.setenv("ONETRIP_TRUSTED_PROXIES", "10.0.0.1")
    behind = load_settings()
    apps = [create_app(behind, run_events=False) for _ in range(2)]
    clients = [TestClient(a, client=("10.0.0.1", 40000)) for a in apps]
    for c in clients:
        c.__enter__()
    yield clients
    for c in clients:
        c.__exit__(None, None, None)


def test_an_account_is_locked_after_failures_from_many_addresses_on_any_replica(proxied, make_user, sessions):
    make_user("li")
    one, two = proxied
    for i in range(10):  # ten addresses, one try each, alternating replicas
        r = api_login(one if i % 2 else two, "li", WRONG, **{"X-Forwarded-For": f"203.0.113.{i}"})
        assert r.status_code == 401, r.text
    r = api_login(one, "li", **{"X-Forwarded-For": "198.51.100.9"})  # the right password, too late
    assert r.status_code == 429 and "锁定" in r.json()["detail"]
    # An unknown account behaves the same (no enumeration through the lock).
    for i in range(10):
        api_login(two, "nobody", WRONG, **{"X-Forwarded-For": f"192.0.2.{i}"})
    assert api_login(two, "nobody", WRONG, **{"X-Forwarded-For": "192.0.2.99"}).status_code == 429
    # Fifteen minutes later the owner logs in and is told.
    with sessions() as s:
        for row in s.execute(select(models.LoginFailure)).scalars():
            row.at -= dt.timedelta(minutes=16)
        s.commit()
    r = api_login(one, "li", **{"X-Forwarded-For": "198.51.100.9"})
    assert r.status_code == 200 and "10 次登录失败" in r.json()["notice"] and "203.0.113." in r.json()["notice"]
    assert api_login(one, "li", **{"X-Forwarded-For": "198.51.100.9"}).json()["notice"] is None  # once


def test_the_owner_reads_the_failures_in_the_console(client, make_user):
    make_user("li")
    for _ in range(3):
        api_login(client, "li", WRONG)
    console_login(client, "li")
    page = client.get("/console").text
    assert "3 次登录失败" in page
    assert "次登录失败" not in client.get("/console").text  # shown once


def test_forwarded_for_is_believed_only_from_a_configured_proxy(proxied, make_user, sessions, settings, admin_password):
    assert real_client("203.0.113.5", ["1.2.3.4"], ()) == "203.0.113.5"  # default: no proxy trusted
    import ipaddress

    proxies = (ipaddress.ip_network("10.0.0.0/24"),)
    assert real_client("10.0.0.1", ["6.6.6.6, 203.0.113.5"], proxies) == "203.0.113.5"  # spoofed left part
    assert real_client("10.0.0.1", ["203.0.113.5, 10.0.0.7"], proxies) == "203.0.113.5"
    assert real_client("198.51.100.1", ["6.6.6.6"], proxies) == "198.51.100.1"  # not our proxy
    make_user("li")
    api_login(proxied[0], "li", WRONG, **{"X-Forwarded-For": "6.6.6.6, 203.0.113.5"})
    direct = TestClient(create_app(load_settings(), run_events=False), client=("198.51.100.1", 1))
    direct.post("/api/auth/login", json={"username": "li", "password": WRONG},
                headers={"X-Forwarded-For": "6.6.6.6"})
    with sessions() as s:
        ips = [a.ip for a in s.execute(select(models.AuditEntry).where(models.AuditEntry.action == "login_failed"))
               .scalars()]
    assert ips == ["203.0.113.5", "198.51.100.1"]


# --- 2. sessions end server-side -------------------------------------------------------------------

def test_api_logout_ends_the_token(client, make_user):
    make_user("li")
    headers = login_token(client, "li")
    assert client.get("/api/tickets", headers=headers).status_code == 200
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/tickets", headers=headers).status_code == 401
    assert client.post("/api/auth/logout", headers=SERVICE).status_code == 400


def test_console_logout_ends_a_copied_cookie(client, make_user):
    make_user("li")
    console_login(client, "li")
    stolen = client.cookies.get("hall_session")
    page = client.get("/console").text
    client.post("/console/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    client.cookies.set("hall_session", stolen)
    r = client.get("/console", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"


def test_a_password_reset_ends_every_session_of_that_user(app, client, make_user, admin_password):
    make_user("li")
    token = login_token(client, "li")
    with TestClient(app) as li:
        console_login(li, "li")
        assert li.get("/console").status_code == 200
        console_login(client, "admin", admin_password)
        page = client.get("/console/users").text
        r = client.post("/console/users/li/reset", data={"csrf": csrf_of(page)})
        assert "新密码" in r.text
        assert li.get("/console", follow_redirects=False).status_code == 303
    assert client.get("/api/tickets", headers=token).status_code == 401


# --- 3. passwords ----------------------------------------------------------------------------------

@pytest.mark.parametrize("password, reason", [
    ("12345678", "至少10位"), ("1234567890", "常见"), ("password123", "常见"), ("qwertyuiop", "常见"),
    ("wangwu12345", "用户名相同"), ("aaaaaaaaaaaa", "常见"),
])
def test_weak_passwords_are_refused(sessions, settings, admin_password, password, reason):
    with sessions() as s, pytest.raises(UserError, match=reason):
        add_user(s, "wangwu12345", "supervisor", None, password)


def test_cli_takes_no_password_on_the_command_line(settings, admin_password, monkeypatch, capsys, tmp_path, sessions):
    from bot.cli import main
    from bot.settings import get_settings

    get_settings.cache_clear()
    with pytest.raises(SystemExit) as exit_:
        main(["users", "add", "boss", "--role", "supervisor", "--password", "long-enough-1"])
    assert exit_.value.code == 2  # argparse: the value is refused, not used
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-1\n"))
    assert main(["users", "add", "boss", "--role", "supervisor", "--password"]) == 0
    assert "long-enough-1" not in capsys.readouterr().out
    secret = tmp_path / "pw"
    secret.write_text("another-long-1\n")
    secret.chmod(0o644)
    assert main(["users", "add", "boss2", "--role", "supervisor", "--password-file", str(secret)]) == 2
    assert "chmod 600" in capsys.readouterr().err
    secret.chmod(0o600)
    assert main(["users", "add", "boss2", "--role", "supervisor", "--password-file", str(secret)]) == 0
    get_settings.cache_clear()
    with sessions() as s:
        user = s.execute(select(models.User).where(models.User.username == "boss2")).scalar_one()
    assert verify_password("another-long-1", user.password_hash) and user.password_hash.startswith("$argon2id$")


def test_a_passlib_hash_still_verifies(client, make_user, sessions):
    # Written by passlib 1.7.4 (CryptContext(schemes=["argon2"])) for "old-passlib-pw-1".
    old = "$argon2id$v=19$m=65536,t=3,p=4$JQRgLOV87z0nxNibU2oNQQ$TzlDd0ByiDcKtZFV+3vgIAAzaQ7gvL8AwJBbPdZFCZ4"
    make_user("old")
    with sessions() as s:
        s.execute(update(models.User).where(models.User.username == "old").values(password_hash=old))
        s.commit()
    assert verify_password("old-passlib-pw-1", old) and not verify_password("wrong", old)
    assert api_login(client, "old", "old-passlib-pw-1").status_code == 200


def test_a_lone_surrogate_in_a_login_name_is_a_4xx_with_a_reason(client):
    r = client.post("/api/auth/login", content=b'{"username": "\\ud800", "password": "x"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "无效字符" in r.text
    page = client.get("/console/login")
    r = client.post("/console/login", content=f"username=%ED%A0%80&password=x&csrf={csrf_of(page.text)}",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= r.status_code < 500


# --- 4. headers ------------------------------------------------------------------------------------

def test_every_response_carries_the_security_headers(client):
    for path in ("/console/login", "/api/matters", "/healthz", "/static/console.css", "/nowhere"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        script = re.search(r"script-src ([^;]*)", csp).group(1)
        assert "'unsafe-inline'" not in script and "frame-ancestors 'none'" in csp, (path, csp)
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"], path
        assert r.headers["x-frame-options"] == "DENY"
    portal = client.get("/").headers["content-security-policy"]
    assert "frame-ancestors 'self'" in portal and "'unsafe-inline'" not in re.search(r"script-src ([^;]*)", portal).group(1)


def test_no_page_needs_inline_script():
    """The CSP allows none: a page script comes from /static (data: <script type=application/json>)."""
    from pathlib import Path

    found = []
    for page in (Path(__file__).resolve().parents[2] / "bot" / "hall" / "templates").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            if "src=" not in tag and "application/json" not in tag:
                found.append(f"{page.name}: {tag}")
        found += [f"{page.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=", html)]
    assert found == []


def test_cookies_are_secure_behind_tls(proxied, make_user):
    make_user("li")
    one = proxied[0]
    page = one.get("/console/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in page.headers["set-cookie"]
    r = one.post("/console/login", data={"username": "li", "password": PASSWORD, "csrf": csrf_of(page.text)},
                 headers={"X-Forwarded-Proto": "https"}, follow_redirects=False)
    assert all("Secure" in c for c in r.headers.get_list("set-cookie"))


def test_cookies_are_not_made_secure_by_anyone_elses_header(client):
    assert "Secure" not in client.get("/console/login", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"]


def test_api_docs_are_a_setting(settings, admin_password, monkeypatch):
    monkeypatch.setenv("ONETRIP_API_DOCS", "off")
    with TestClient(create_app(load_settings(), run_events=False)) as c:
        assert c.get("/docs").status_code == 404 and c.get("/openapi.json").status_code == 404
    monkeypatch.setenv("ONETRIP_API_DOCS", "")
    monkeypatch.setenv("ONETRIP_HOST", "0.0.0.0")
    assert load_settings().api_docs is False  # listening beyond loopback: off unless asked for


def test_the_hall_sends_no_server_version_and_judges_forwarded_headers_itself(settings):
    from pathlib import Path

    from bot.cli.up import children

    hall = next(k for k in children(settings, Path("model.tar.gz")) if k.name == "hall")
    assert "--no-server-header" in hall.command and "--no-proxy-headers" in hall.command
    import yaml

    deploy = list(yaml.safe_load_all((Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "hall.yaml").read_text()))
    command = next(d for d in deploy if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "*" not in command and "--proxy-headers" not in command and "--no-server-header" in command


# --- 5. privacy on the dashboard -------------------------------------------------------------------

def _feedback(client, text, matter=None, level=1, key="k"):
    assert client.post("/api/unmatched", json={"conversation_id": "c", "text": text, "channel": "rest"},
                       headers=SERVICE).status_code == 201
    client.post("/api/ratings", json={"conversation_id": "c", "level": level, "channel": "rest",
                                      "idempotency_key": key, "matter": matter}, headers=SERVICE)


def test_the_dashboard_is_scoped_and_masked(client, make_user):
    make_user("li", "staff", "gongan")
    make_user("boss", "supervisor", None)
    _feedback(client, "我的电话１３８ １２３４ ５６７８，身份证330102 19900101 1234", matter="scjg.consumer_complaint")
    console_login(client, "li")  # gongan: neither the unmatched question nor the scjg rating
    page = client.get("/console/dashboard").text
    csv = client.get("/console/dashboard.csv").text
    for shown in (page, csv):
        assert "身份证" not in shown and "好差评,非常不满意,1,1" not in shown
    client.cookies.clear()
    console_login(client, "boss")
    page = client.get("/console/dashboard").text
    csv = client.get("/console/dashboard.csv").text
    for shown in (page, csv):
        assert "138****5678" in shown and "330102********1234" in shown
        assert "１２３４" not in shown and "19900101" not in shown
    assert "好差评,非常不满意,1,1" in csv


def test_a_nul_in_a_message_does_not_break_the_export(client, make_user):
    make_user("boss", "supervisor", None)
    _feedback(client, "坏\x00消息")  # kept on PostgreSQL too, which cannot store NUL: as U+FFFD
    console_login(client, "boss")
    r = client.get("/console/dashboard.csv")
    assert r.status_code == 200 and "坏\ufffd消息" in r.text
    assert client.get("/console/dashboard").status_code == 200


def test_a_tickets_reason_is_masked(client, make_user):
    make_user("li", "staff", "scjg")
    body = ticket_body(kind="complaint", reason="他电话13812345678一直不接", rating=1)
    t = client.post("/api/tickets", json=body, headers=SERVICE).json()
    assert "13812345678" not in client.get(f"/api/tickets/{t['number']}", headers=SERVICE).text
    console_login(client, "li")
    page = client.get(f"/console/tickets/{t['number']}").text
    assert "138****5678" in page and "13812345678" not in page


# --- 6. files --------------------------------------------------------------------------------------

def test_var_files_are_private_and_the_first_password_is_not_printed(tmp_path, capsys, settings):
    from bot.cli.up import protect_var, show_first_password

    var = settings.var_dir
    for name in ("hall.db", "tracker.db-wal", "secrets.env", "run.log"):
        (var / name).write_text("x")
        (var / name).chmod(0o644)
    old = os.umask(0o022)
    try:
        protect_var(var)
        (var / "new.db").write_text("x")
        assert stat.S_IMODE((var / "new.db").stat().st_mode) == 0o600
    finally:
        os.umask(old)
    for name in ("hall.db", "tracker.db-wal", "secrets.env", "run.log"):
        assert stat.S_IMODE((var / name).stat().st_mode) == 0o600, name
    show_first_password(settings, "first-Secret-123")
    assert "first-Secret-123" not in capsys.readouterr().out
    first = var / "first-admin-password"
    assert first.read_text().strip() == "first-Secret-123" and stat.S_IMODE(first.stat().st_mode) == 0o600


def test_spoofed_addresses_against_the_real_server_command_line(settings, admin_password, make_user, monkeypatch, tmp_path):
    """The maintainers' probe against the hall as `onetrip up` starts it (uvicorn, its flags):
    a new X-Forwarded-For on every try from 127.0.0.1, then the right password."""
    import time
    from pathlib import Path

    import httpx

    from bot import procs
    from bot.cli.up import children

    port = procs.free_port()
    monkeypatch.setenv("HALL_PORT", str(port))
    run = load_settings()
    hall = next(k for k in children(run, Path("unused.tar.gz")) if k.name == "hall")
    make_user("li")
    process = procs.spawn(hall.command, {**hall.env, "HALL_PORT": str(port)}, Path(__file__).resolve().parents[2],
                          stdout=open(tmp_path / "hall.log", "wb"))
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        codes = [httpx.post(f"{url}/api/auth/login", json={"username": "li", "password": WRONG},
                            headers={"X-Forwarded-For": f"203.0.113.{i}"}, timeout=10).status_code for i in range(12)]
        assert 429 in codes, codes
        right = httpx.post(f"{url}/api/auth/login", json={"username": "li", "password": PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.1"}, timeout=10)
        assert right.status_code == 429
        assert "server" not in httpx.get(f"{url}/healthz").headers
    finally:
        procs.stop(process)


def test_a_nul_in_a_citizens_text_is_kept_not_a_500(client):
    # PostgreSQL refuses NUL in text; the hall stores U+FFFD in its place, on every database.
    r = client.post("/api/unmatched", json={"conversation_id": "nul-1", "text": "身份证\x00换领", "channel": "rest"},
                    headers=SERVICE)
    assert r.status_code == 201
    body = {"kind": "complaint", "department": "scjg", "conversation_id": "nul-1", "description": "超市\x00卖过期面包",
            "region": "杭州\x00", "idempotency_key": "nul-k", "consent": True}
    r = client.post("/api/tickets", json=body, headers=SERVICE)
    assert r.status_code == 201, r.text
    shown = client.get(f"/api/tickets/{r.json()['number']}", headers=SERVICE).json()
    assert shown["description"] == "超市\ufffd卖过期面包"
    assert client.post("/api/tickets", json=body, headers=SERVICE).status_code == 200  # the same ticket again
