"""The portal in a real browser: Playwright driving Debian's Chromium (installed by .ci/run)."""

from __future__ import annotations

import pytest

SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
CN = "patents/cn/cnipa-xml-new-business-ns/cn_new1.xml"


@pytest.fixture
def server(tmp_path, shared_data, live_server):
    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path
    from ipoffice.search.index import build_index

    store = open_store(tmp_path / "home")
    import_path(store, shared_data / SLICE)
    import_path(store, shared_data / CN)
    build_index(store)
    return live_server(store)


def test_home_page_in_chromium(server, browser, tmp_path):
    page = browser.new_page()
    page.goto(server + "/")
    assert page.title() == "ipoffice"
    assert int(page.locator("#count-patents").inner_text()) >= 21
    assert page.locator("#latest").get_by_text("显示设备").count() == 1
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    page.locator("#latest a").first.click()
    page.wait_for_load_state()
    assert '"number"' in page.content()


def test_search_page_in_chromium(server, browser, tmp_path):
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
