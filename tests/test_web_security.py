"""Who may use the HTTP service: loopback by default, a token beyond it, the Host header
checked, CORS off unless configured, runs deletable. Each test names the defect of issue 10
("the server has no authentication, sends no CORS headers, and accepts any Host header;
any local client can read every run") it pins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oreshock.cli.app import app as cli
from oreshock.model.variants import run_variants
from oreshock.store.store import Store
from oreshock.web.app import create_app
from oreshock.web.security import COOKIE
from oreshock.web.settings import Settings
from tests.test_web_faults import LOCAL, Server

TOKEN = "s3cret-token-of-32-characters-xx"
ROUTES = ["/", "/api/runs", "/api/limits", "/static/app.js", "/docs", "/openapi.json",
          "/docs-static/swagger-ui.css", "/api/ensembles"]  # fmt: skip


@pytest.fixture(scope="module")
def stored(tmp_path_factory, network) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("sec") / "runs.duckdb"
    (result,) = run_variants("japan-rare-earths-2026", network, variants=["no-response"])
    with Store(db) as store:
        return db, store.save_run(result)


@pytest.fixture()
def guarded(tmp_path) -> Iterator[TestClient]:
    settings = Settings(token=TOKEN)
    with TestClient(create_app(tmp_path / "runs.duckdb", settings=settings), base_url=LOCAL) as c:
        yield c


def test_serve_refuses_a_network_address_without_a_token(monkeypatch):
    """Security (issue 10): the service listened wherever it was told with no token. Now a
    host other than loopback is refused before anything starts, unless a token is set."""
    monkeypatch.delenv("ORESHOCK_TOKEN", raising=False)
    for host in ("0.0.0.0", "192.168.1.10", "::"):
        result = CliRunner().invoke(cli, ["serve", "--host", host, "--port", "1"])
        assert result.exit_code == 2, result.output
        assert "not a loopback address" in result.output and "ORESHOCK_TOKEN" in result.output


def listening_on(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port and state == "0A":  # LISTEN
                found.add(address)
    return found


def test_serve_binds_loopback_by_default(tmp_path):
    """Security (issue 10): `oreshock serve` with no --host listens on 127.0.0.1 only; its
    --allowed-host and --cors-origin options reach the app."""
    origin = "https://dash.example"
    args = ("--allowed-host", "oreshock.lan", "--cors-origin", origin)
    with Server(tmp_path / "runs.duckdb", *args) as server:
        port = int(server.url.rsplit(":", 1)[1])
        assert listening_on(port) == {"0100007F"}  # 127.0.0.1
        url = server.url + "/api/limits"
        assert httpx.get(url, headers={"Host": "oreshock.lan"}).status_code == 200
        assert httpx.get(url, headers={"Host": "evil.example"}).status_code == 400
        cors = httpx.get(url, headers={"Origin": origin}).headers
        assert cors["access-control-allow-origin"] == origin


def test_every_route_wants_the_token(guarded):
    """Security (issue 10): with a token set, API, dashboard, static files and docs answer
    401 without it (or with a wrong one) and 200 with the bearer header."""
    for url in ROUTES:
        bare = guarded.get(url)
        assert bare.status_code == 401, url
        assert bare.headers["WWW-Authenticate"] == "Bearer"
        wrong = guarded.get(url, headers={"Authorization": "Bearer " + TOKEN[:-1] + "y"})
        assert wrong.status_code == 401, url
        ok = guarded.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200, url
    post = guarded.post("/api/runs", json={"scenario": "japan-rare-earths-2026"})
    assert post.status_code == 401


def test_the_dashboard_takes_the_token_once_and_keeps_a_cookie(guarded):
    """Security (issue 10): a browser opens /?token=... once; the answer sets an HttpOnly
    cookie and redirects to the address without the token; the cookie opens every route."""
    r = guarded.get("/", params={"token": TOKEN, "lang": "ja"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?lang=ja"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    guarded.cookies.clear()
    assert guarded.get("/", params={"token": "nope"}, follow_redirects=False).status_code == 401
    guarded.cookies.set(COOKIE, TOKEN)
    for url in ROUTES:
        assert guarded.get(url).status_code == 200, url
    guarded.cookies.clear()
    odd = {"Cookie": f'other="a;b; broken; {COOKIE}={TOKEN}'}  # other cookies, malformed
    assert guarded.get("/api/runs", headers=odd).status_code == 200


def test_the_host_header_must_name_this_server(tmp_path):
    """Security (issue 10): any Host header was served (DNS rebinding). Now names outside
    the allow-list answer 400; loopback names with any port and --allowed-host pass."""
    app = create_app(tmp_path / "runs.duckdb")
    with TestClient(app, base_url=LOCAL) as client:
        for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""):
            r = client.get("/api/limits", headers={"host": host})
            assert r.status_code == 400 and "Host header" in r.json()["detail"], host
        for host in ("localhost", "LOCALHOST:8000", "127.0.0.1:8000", "[::1]:8000", "::1"):
            assert client.get("/api/limits", headers={"host": host}).status_code == 200, host
    wider = Settings(allowed_hosts=("localhost", "oreshock.lan"))
    with TestClient(create_app(tmp_path / "runs.duckdb", settings=wider), base_url=LOCAL) as c:
        assert c.get("/api/limits", headers={"host": "oreshock.lan:80"}).status_code == 200
        assert c.get("/api/limits", headers={"host": "127.0.0.1"}).status_code == 400


def test_cors_is_off_by_default_and_configurable(tmp_path):
    """Security (issue 10): no CORS headers by default, so other sites' pages cannot read
    the API; a configured origin gets them, and its preflight needs no token."""
    origin = {"Origin": "https://dash.example"}
    with TestClient(create_app(tmp_path / "runs.duckdb"), base_url=LOCAL) as client:
        r = client.get("/api/limits", headers=origin)
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    settings = Settings(cors_origins=("https://dash.example",), token=TOKEN)
    with TestClient(create_app(tmp_path / "runs.duckdb", settings=settings), base_url=LOCAL) as c:
        preflight = c.options(
            "/api/runs",
            headers={**origin, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization,content-type"},
        )  # fmt: skip
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://dash.example"
        auth = {**origin, "Authorization": f"Bearer {TOKEN}"}
        got = c.get("/api/limits", headers=auth)
        assert got.headers["access-control-allow-origin"] == "https://dash.example"
        other = c.get("/api/limits", headers={**auth, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_runs_are_deletable(stored, tmp_path):
    """Security (issue 10): runs could not be removed through the API. DELETE
    /api/runs/{id} removes a run and its tables (204); it is then 404."""
    db, run_id = stored
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    with TestClient(create_app(copy), base_url=LOCAL) as client:
        assert client.get(f"/api/runs/{run_id}").status_code == 200
        assert client.delete(f"/api/runs/{run_id}").status_code == 204
        assert client.get(f"/api/runs/{run_id}").status_code == 404
        assert client.get(f"/api/runs/{run_id}/timeseries").status_code == 404
        assert client.delete(f"/api/runs/{run_id}").status_code == 404
    with Store(copy, read_only=True) as store:
        (left,) = store.con.execute(
            "SELECT count(*) FROM timeseries WHERE run_id = ?", [run_id]
        ).fetchone() or (0,)
    assert left == 0


def test_a_token_protects_the_real_server(tmp_path):
    """Security (issue 10), end to end: `oreshock serve` with ORESHOCK_TOKEN set answers
    401 without the header and serves with it."""
    with Server(tmp_path / "runs.duckdb", env={"ORESHOCK_TOKEN": TOKEN}) as server:
        assert httpx.get(server.url + "/api/runs").status_code == 401
        ok = httpx.get(server.url + "/api/runs", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json() == []
