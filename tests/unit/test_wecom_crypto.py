"""WeCom's callback envelope, checked against wechatpy's independent implementation."""

from __future__ import annotations

from wechatpy.enterprise.crypto import WeChatCrypto

from tollhouse.adapters.callbacks import wecom_crypto
from tollhouse.services.wecom_callbacks import xml_body

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_our_envelope_decrypts_with_wechatpy() -> None:
    message = xml_body({"ServiceCorpId": "wwprov", "InfoType": "license_pay_success",
                        "TimeStamp": 1714960800})
    xml, signature = wecom_crypto.envelope(message, token="tok", encoding_aes_key=KEY,
                                           receive_id="wwprov", timestamp="1714960800",
                                           nonce="abc")
    assert WeChatCrypto("tok", KEY, "wwprov").decrypt_message(
        xml, signature, "1714960800", "abc") == message


def test_wechatpy_envelope_decrypts_with_ours() -> None:
    encrypted = WeChatCrypto("tok", KEY, "wwprov").encrypt_message("<xml>hi</xml>", "n1", "99")
    cipher = encrypted.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    assert wecom_crypto.decrypt(cipher, encoding_aes_key=KEY) == ("<xml>hi</xml>", "wwprov")


def test_xml_body_escapes_cdata_and_keeps_integers_bare() -> None:
    body = xml_body({"A": "x]]>y", "N": 5})
    assert body == "<xml><A><![CDATA[x]]]]><![CDATA[>y]]></A><N>5</N></xml>"
