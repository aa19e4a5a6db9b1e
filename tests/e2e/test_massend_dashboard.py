"""The WeChat dashboard page: sends, caps used and left, the histogram and the job list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import ADMIN_KEY
from tests.e2e.conftest import LiveServer
from tollhouse.services import massend as svc
from tollhouse.services.runtime import Runtime

NOW = datetime(2026, 9, 10, 2, 0, tzinfo=UTC)


def a_busy_account(runtime: Runtime) -> str:
    account = svc.create_account(runtime, svc.NewAccount(appid="wx00000000000da5b0", now=NOW,
                                                         name="Shop"))
    appid = account["appid"]
    ids = svc.add_followers(runtime, appid, generate=10)["openids"]
    token = svc.issue_token(runtime, grant_type="client_credential", appid=appid,
                            secret=account["secret"])["access_token"]
    for n in range(3):
        assert svc.send(runtime, token, {"touser": ids[: 4 + n], "msgtype": "text",
                                         "text": {"content": f"m{n}"}})["errcode"] == 0
    svc.web_send(runtime, appid, {"target": {"is_to_all": True}, "msgtype": "text",
                                  "text": {"content": "digest"}})
    return appid


def test_account_page_over_http(client: Any, runtime: Runtime) -> None:
    appid = a_busy_account(runtime)
    assert client.get(f"/dashboard/wechat/{appid}", follow_redirects=False).status_code == 303
    client.cookies.set("tollhouse_key", ADMIN_KEY)
    html = client.get(f"/dashboard/wechat/{appid}").text
    assert 'id="histogram"' in html and "WeChat mass send" in html
    page = svc.histogram(runtime, appid)
    # 4 got 4 sends (3 lists + web), 1 got 3, 1 got 2, 4 got only the web send
    assert page["bars"] == {0: 0, 1: 4, 2: 1, 3: 1, 4: 4}
    assert "History sends this month" in html
    assert client.get("/dashboard/wechat").text.count(appid) >= 1


@pytest.mark.browser
def test_account_page_in_a_browser(live_server: LiveServer, page: Any) -> None:
    appid = a_busy_account(live_server.runtime)
    page.click("text=WeChat mass send")
    page.click(f"text={appid}")
    assert page.locator("#send-count").inner_text() == "4"
    assert page.locator("#jobs tbody tr").count() == 4
    assert page.locator('#histogram text.count[data-received="4"]').text_content() == "4"
    caps = page.locator("#caps").inner_text()
    assert "History sends this month\t1\t4\t3" in caps
