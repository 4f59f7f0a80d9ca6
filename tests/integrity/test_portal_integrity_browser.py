"""The integrity review queue in a real browser (Playwright + Debian's Chromium; skipped where absent)."""

from __future__ import annotations

import datetime as dt

import manipulate as m
import pytest


@pytest.fixture
def server(tmp_path, shared_data, live_server):
    from ipoffice.core.roles import Role
    from ipoffice.core.store import PartyResolver, open_store, upsert_patents
    from ipoffice.integrity import patent_signals as ps
    from ipoffice.integrity import textstats
    from ipoffice.integrity.scan import scan
    from ipoffice.service.auth import create_token

    recs = m.load_slice(shared_data)
    by = {r.number: r for r in recs}

    store = open_store(tmp_path / "home")
    with store.session() as s:
        upsert_patents(
            s,
            [(r, "t") for r in [by["08087209"], m.copied(by["08087209"], "CN114000001A", dt.date(2022, 5, 1))]],
            PartyResolver(),
        )
        token = create_token(s, "examiner-1", Role.EXAMINER)
        s.commit()
    path = store.home / "models" / "integrity" / ps.MODEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    textstats.save(m.small_model(shared_data), path)
    scan(store, kind="patent")
    return live_server(store), token


def test_queue_flag_and_review_in_chromium(server, browser, tmp_path):
    url, token = server
    page = browser.new_page()
    page.goto(url + "/integrity")
    assert "no such page" in page.content() and "CN114000001A" not in page.content()
    page.goto(url + "/login")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.goto(url + "/integrity")
    page.select_option("select[name=behaviour]", "P2")
    page.click("#filters button")
    page.wait_for_selector("#queue")
    assert "CN114000001A" in page.locator("#queue").inner_text()
    page.locator("#queue a").first.click()
    page.wait_for_selector("#rule")
    assert "Announcement No. 411" in page.locator("#rule").inner_text()
    assert "08087209" in page.locator("#documents").inner_text()
    page.screenshot(path=str(tmp_path / "flag.png"), full_page=True)
    page.click("#review button[value=confirm]")  # no note: refused, the page says why
    assert "note is required" in page.locator("#error").inner_text()
    page.fill("#review input[name=note]", "the claims of 08087209 with words swapped")
    page.click("#review button[value=confirm]")
    page.wait_for_selector("#reviews")
    assert page.locator("#status").inner_text() == "confirmed"
    assert "words swapped" in page.locator("#reviews").inner_text()
