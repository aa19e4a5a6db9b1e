"""WeCom's callback encryption (WXBizMsgCrypt): AES-256-CBC with PKCS#7 to 32 bytes, SHA-1
signature over the sorted (token, timestamp, nonce, ciphertext).

The key is base64(EncodingAESKey + "="), 32 bytes; the IV is its first 16 bytes. Plaintext is
16 random bytes + the message length (4 bytes, network order) + the message + the receiver id.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tollhouse.domain.errors import InvalidRequest

BLOCK = 32


class InvalidAesKey(InvalidRequest):
    code = "wecom.callback.invalid_aes_key"

    def __init__(self, length: int) -> None:
        super().__init__(
            f"EncodingAESKey has {length} characters; WeCom keys have 43 "
            "(base64 of 32 bytes without the trailing '=')"
        )


def _key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != 43:  # noqa: PLR2004 - WeCom's fixed key length
        raise InvalidAesKey(len(encoding_aes_key))
    return base64.b64decode(encoding_aes_key + "=")


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    parts = sorted([token, timestamp, nonce, encrypted])
    return hashlib.sha1("".join(parts).encode(), usedforsecurity=False).hexdigest()


def encrypt(
    message: str, *, encoding_aes_key: str, receive_id: str, random_prefix: bytes | None = None
) -> str:
    key = _key(encoding_aes_key)
    body = message.encode()
    plain = (
        (random_prefix or secrets.token_bytes(16))
        + struct.pack(">I", len(body))
        + body
        + receive_id.encode()
    )
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(encrypted: str, *, encoding_aes_key: str) -> tuple[str, str]:
    """Return (message, receive_id)."""
    key = _key(encoding_aes_key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length].decode(), plain[20 + length :].decode()


def envelope(
    message: str, *, token: str, encoding_aes_key: str, receive_id: str, timestamp: str, nonce: str
) -> tuple[str, str]:
    """The XML WeCom POSTs and its msg_signature: (xml, msg_signature)."""
    encrypted = encrypt(message, encoding_aes_key=encoding_aes_key, receive_id=receive_id)
    sig = signature(token, timestamp, nonce, encrypted)
    xml = (
        f"<xml><ToUserName><![CDATA[{receive_id}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>"
        f"<AgentID><![CDATA[]]></AgentID></xml>"
    )
    return xml, sig
