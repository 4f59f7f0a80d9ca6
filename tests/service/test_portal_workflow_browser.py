"""Workflow pages in a real browser: the public deadline calculator, login, worklist and case page."""

from __future__ import annotations

import datetime as dt

import pytest

CN = "patents/cn/cnipa-xml-new-business-ns/cn_new1.xml"


@pytest.fixture
def site(tmp_path, shared_data, live_server):
    from sqlalchemy import select

    from ipoffice.core import tables as t
    from ipoffice.core.roles import Actor, Role
    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path
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
    return {"url": live_server(store), "token": token, "case_no": case_no}


def test_calculator_login_worklist_case_page(site, browser, tmp_path):
    url = site["url"]
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
    assert page.locator("#state").inner_text()  # the state as the procedure names it
    assert "显示设备" in page.content()
    assert page.locator("#timeline tr").count() >= 4
    assert "exam-request" in page.locator("#deadlines").inner_text()
    page.screenshot(path=str(tmp_path / "case.png"), full_page=True)
