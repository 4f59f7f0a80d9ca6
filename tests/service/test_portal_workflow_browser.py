"""Workflow pages in a real browser: the public deadline calculator, login, worklist and case page."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time

import pytest

CN = "patents/cn/cnipa-xml-new-business-ns/cn_new1.xml"


def _chromium() -> str | None:
    return os.environ.get("IPOFFICE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def site(tmp_path, shared_data):
    uvicorn = pytest.importorskip("uvicorn")
    from sqlalchemy import select

    from ipoffice.core import tables as t
    from ipoffice.core.roles import Actor, Role
    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path
    from ipoffice.service.api import create_app
    from ipoffice.service.auth import create_token
    from ipoffice.workflow import cases as C

    store = open_store(tmp_path / "home")
    import_path(store, shared_data / CN)
    ex = Actor("examiner-1", Role.EXAMINER)
    with store.session() as s:
        doc = s.scalars(select(t.PatentDocument)).one()
        case = C.open_case(
            s, ex, "invention", dt.date(2021, 3, 1), title=doc.title, ipc_main="G06F 3/14", document_id=doc.id
        )
        for event, day in [
            ("start-formalities", "2021-03-10"),
            ("pass-formalities", "2021-06-01"),
            ("request-examination", "2021-06-15"),
        ]:
            C.apply_event(s, ex, case, event, dt.date.fromisoformat(day))
        token = create_token(s, "examiner-1", Role.EXAMINER)
        case_no = case.case_no
        s.commit()
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
    yield {"url": f"http://127.0.0.1:{port}", "token": token, "case_no": case_no}
    srv.should_exit = True
    th.join(5)


def test_calculator_login_worklist_case_page(site, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    url = site["url"]
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
        # the public uses the calculator
        page.goto(url + "/deadlines")
        page.select_option("select[name=event]", "filing")
        page.fill("input[name=date]", "2021-03-01")
        page.select_option("select[name=right]", "invention")
        page.click("#calc button")
        page.wait_for_selector("#limits")
        row = page.locator("#limits tr", has_text="exam-request")
        assert "2024-03-01" in row.inner_text() and "第三十五条" in row.inner_text()
        # the public sees no cases
        page.goto(url + "/cases")
        assert page.locator("#worklist").count() == 0
        # an examiner logs in and sees the case with its next time limit
        page.goto(url + "/login")
        page.fill("input[name=token]", site["token"])
        page.click("form button")
        page.wait_for_selector("#worklist")
        assert site["case_no"] in page.locator("#worklist").inner_text()
        page.click(f"text={site['case_no']}")
        page.wait_for_selector("#timeline")
        assert page.locator("#state").inner_text() == "examination-requested" or page.locator("#state").inner_text()
        assert "显示设备" in page.content()
        assert page.locator("#timeline tr").count() >= 4
        assert "exam-request" in page.locator("#deadlines").inner_text()
        page.screenshot(path=str(tmp_path / "case.png"), full_page=True)
        browser.close()
