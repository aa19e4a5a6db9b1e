"""An off-the-shelf SDK (wechatpy, over real HTTP) against Tollhouse: token, followers, tags and
every mass-send call (issue "Must work" 1; spec §5.1 wechatpy compatibility)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from tests.e2e.conftest import LiveServer
from tollhouse.services import massend as svc


class TollhouseWeChatClient(WeChatClient):
    """wechatpy with its base URL on Tollhouse; the token URL is absolute in wechatpy."""

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid,
                    "secret": self.secret})


@pytest.fixture
def wechat(live_server: LiveServer) -> tuple[TollhouseWeChatClient, dict[str, Any]]:
    account = svc.create_account(live_server.runtime, svc.NewAccount(
        type="service", now=datetime(2026, 7, 10, 2, 0, tzinfo=UTC)))
    svc.add_followers(live_server.runtime, account["appid"], followers=[{"wxname": "alice"}])
    svc.add_followers(live_server.runtime, account["appid"], generate=11_999)
    client = TollhouseWeChatClient(account["appid"], account["secret"])
    client.API_BASE_URL = f"{live_server.url}/cgi-bin/"
    return client, account


def test_wechatpy_token_followers_tags_and_every_mass_send_call(
        wechat: tuple[TollhouseWeChatClient, dict[str, Any]], live_server: LiveServer) -> None:
    client, account = wechat
    # token (M24) through the SDK's own refresh
    assert len(client.access_token) > 20
    # followers: 10,000 per page with next_openid (M21, §5.5)
    first = client.user.get_followers()
    assert (first["total"], first["count"]) == (12_000, 10_000)
    second = client.user.get_followers(first["next_openid"])
    assert (second["count"], second["next_openid"]) == (2_000, "")
    assert len(list(client.user.iter_followers())) == 12_000
    followers = first["data"]["openid"][:10]
    # tags (M22)
    tag = client.tag.create("vip")
    tag_id = tag["id"]
    assert tag_id >= 100
    client.tag.tag_user(tag_id, followers[:5])
    client.tag.untag_user(tag_id, followers[4])
    assert client.tag.get_user_tag(followers[0]) == [tag_id]
    assert client.tag.get_tag_users(tag_id)["data"]["openid"] == followers[:4]
    assert {"id": tag_id, "name": "vip", "count": 4} in client.tag.get()
    client.tag.update(tag_id, "gold")
    spare = client.tag.create("spare")["id"]
    client.tag.delete(spare)
    with pytest.raises(WeChatClientException) as unknown:
        client.tag.delete(spare)
    assert unknown.value.errcode == 45159
    # every mass-send call
    by_tag = client.message.send_mass_text(tag_id, "to the gold tag")
    assert by_tag["errcode"] == 0
    by_list = client.message.send_mass_article(followers, "media-1")
    assert by_list["msg_data_id"] == by_list["msg_id"]
    to_all = client.message.send_mass_video(None, "video-1", title="t", is_to_all=True)
    assert to_all["errcode"] == 0
    assert client.message.get_mass(by_list["msg_id"])["msg_status"] == "SEND_SUCCESS"
    assert client.message.send_mass_text("alice", "preview", preview=True)["errcode"] == 0
    assert client.message.send_mass_text(followers[0], "preview", preview=True)["errcode"] == 0
    assert client.message.delete_mass(by_list["msg_id"])["errcode"] == 0
    assert client.message.get_mass(by_list["msg_id"])["msg_status"] == "DELETE"
    with pytest.raises(WeChatClientException) as duplicate:
        client.message.send_mass_text(tag_id, "to the gold tag")
    assert duplicate.value.errcode == 45066
    assert client.post("message/mass/speed/get", data={}) == {"speed": 0, "realspeed": 80}
    assert client.post("message/mass/speed/set", data={"speed": 2})["errcode"] == 0
    assert client.post("message/mass/speed/get", data={})["realspeed"] == 45
    quota = client.post("openapi/quota/get",
                        data={"cgi_path": "/cgi-bin/message/mass/sendall"})
    assert quota["quota"] == {"daily_limit": 100, "used": 3, "remain": 97}
    assert client.post("clear_quota", data={"appid": account["appid"]})["errcode"] == 0
    quota = client.post("openapi/quota/get",
                        data={"cgi_path": "/cgi-bin/message/mass/sendall"})
    assert quota["quota"]["used"] == 0
    # the follower counts behind it all (M2): followers[0] got tag, list and to-all sends
    assert svc.follower_quota(live_server.runtime, account["appid"],
                              followers[0])["received"] == 3


def test_wechatpy_sees_errcodes_for_bad_input(
        wechat: tuple[TollhouseWeChatClient, dict[str, Any]]) -> None:
    client, _ = wechat
    followers = client.user.get_followers()["data"]["openid"]
    for users, errcode in ((followers[:1], 40130), (followers[:2] + ["oNeverFollowed"], 40003),
                           (followers[:10_000] + ["extra"], 40032)):
        with pytest.raises(WeChatClientException) as refused:
            client.message.send_mass_text(users, "x")
        assert refused.value.errcode == errcode
    with pytest.raises(WeChatClientException) as unknown_tag:
        client.message.send_mass_text(999, "x")
    assert unknown_tag.value.errcode == 40152
    foreign = TollhouseWeChatClient(client.appid, "wrong-secret")
    foreign.API_BASE_URL = client.API_BASE_URL
    with pytest.raises(WeChatClientException) as wrong:
        foreign.fetch_access_token()
    assert wrong.value.errcode == 40125
