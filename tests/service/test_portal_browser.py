"""The portal in a real browser: Playwright driving Debian's Chromium (installed by .ci/run)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
CN = "patents/cn/cnipa-xml-new-business-ns/cn_new1.xml"


def _chromium() -> str | None:
    return os.environ.get("IPOFFICE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def server(tmp_path, shared_data):
    uvicorn = pytest.importorskip("uvicorn")
    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path
    from ipoffice.search.index import build_index
    from ipoffice.service.api import create_app

    store = open_store(tmp_path / "home")
    import_path(store, shared_data / SLICE)
    import_path(store, shared_data / CN)
    build_index(store)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(5)


def test_home_page_in_chromium(server, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
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
        page = browser.new_page()
        page.goto(server + "/")
        assert page.title() == "ipoffice"
        assert int(page.locator("#count-patents").inner_text()) >= 21
        assert page.locator("#latest").get_by_text("显示设备").count() == 1
        page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
        page.locator("#latest a").first.click()
        page.wait_for_load_state()
        assert '"number"' in page.content()
        browser.close()


def test_search_page_in_chromium(server, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
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
        page = browser.new_page()
        page.goto(server + "/search-patents")
        page.fill("input[name=q]", "ti:edging OR 显示设备")
        page.click("#search button")
        page.wait_for_selector("#hits")
        text = page.locator("#hits").inner_text()
        assert "08087209" in text and "显示设备" in text
        assert page.locator("#hits mark").count() >= 1
        page.fill("input[name=q]", "ti:(edging")
        page.click("#search button")
        assert "position" in page.locator("#error").inner_text()
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
        browser.close()
