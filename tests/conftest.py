"""Shared fixtures: the real data folder, and a store on SQLite and (when available) PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED


def _reset_pg(url: str) -> str:
    """A fresh schema of this test process's own, so concurrent test runs never collide;
    returns the URL that puts it first on the search path."""
    from sqlalchemy import create_engine

    schema = f"t{os.getpid()}"
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    eng.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path, monkeypatch):
    """A fresh, migrated store. The same suite runs on both backends."""
    from ipoffice.core.store import open_store

    monkeypatch.setenv("IPOFFICE_HOME", str(tmp_path / "home"))
    if request.param == "postgres":
        url = os.environ.get("IPOFFICE_TEST_PG_URL")
        if not url:
            pytest.skip("IPOFFICE_TEST_PG_URL not set (CI sets it)")
        s = open_store(tmp_path / "home", url=_reset_pg(url))
    else:
        s = open_store(tmp_path / "home")
    yield s
    s.engine.dispose()
    if request.param == "postgres":
        from sqlalchemy import create_engine

        eng = create_engine(os.environ["IPOFFICE_TEST_PG_URL"])
        with eng.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS t{os.getpid()} CASCADE"))
        eng.dispose()


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty data home for CLI tests (SQLite)."""
    h = tmp_path / "home"
    monkeypatch.setenv("IPOFFICE_HOME", str(h))
    monkeypatch.delenv("IPOFFICE_DATABASE_URL", raising=False)
    return h


@pytest.fixture
def live_server():
    """Serve a store's app on a free loopback port in a thread: `url = live_server(store)`."""
    import socket
    import threading
    import time

    uvicorn = pytest.importorskip("uvicorn")
    from ipoffice.service.api import create_app

    servers = []

    def start(store) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        srv = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
        th = threading.Thread(target=srv.run, daemon=True)
        th.start()
        servers.append((srv, th))
        for _ in range(100):
            if srv.started:
                break
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield start
    for srv, th in servers:
        srv.should_exit = True
        th.join(5)


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright (.ci/run installs both); skipped where absent."""
    import shutil

    exe = os.environ.get("IPOFFICE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=exe,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
