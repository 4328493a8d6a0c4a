"""End-to-end encryption of files: the relay forwards what these functions produce and cannot read it.

Pure functions over ``cryptography``; no I/O. A file gets a fresh 256-bit key. Each chunk is
sealed with AES-GCM under that key, a random 96-bit nonce, and the transfer id plus the chunk
index as associated data, so a chunk that is altered, moved to another index, or replayed into
another transfer fails to open. The key is wrapped for each recipient: an ephemeral X25519 key
of the sender (one per file) agrees a secret with the recipient's published X25519 key, HKDF turns
it into a wrapping key, and AES-GCM seals the file key with the transfer and recipient ids bound in.
"""

from __future__ import annotations

import base64
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
# Bytes a sealed chunk adds to its plaintext (nonce + tag).
CHUNK_OVERHEAD = NONCE_BYTES + TAG_BYTES


class DecryptionFailed(Exception):
    """A sealed value did not open: it was altered, replayed, or sealed for someone else."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise DecryptionFailed("not base64") from exc


class KeyPair:
    """A participant's X25519 key pair; the public half is published when they join a meeting."""

    def __init__(self, private: X25519PrivateKey | None = None) -> None:
        self.private = private or X25519PrivateKey.generate()

    @property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def public_b64(self) -> str:
        return b64(self.public_bytes)


def new_file_key() -> bytes:
    """A fresh random key for one file."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def chunk_aad(transfer_id: str, index: int) -> bytes:
    """Associated data binding a chunk to its transfer and position."""
    return b"parley-chunk\0" + transfer_id.encode("utf-8") + b"\0" + struct.pack(">Q", index)


def seal_chunk(key: bytes, transfer_id: str, index: int, plaintext: bytes) -> bytes:
    """``nonce || ciphertext || tag`` of one chunk."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, chunk_aad(transfer_id, index))


def open_chunk(key: bytes, transfer_id: str, index: int, sealed: bytes) -> bytes:
    """The plaintext of a sealed chunk; DecryptionFailed when it was altered or is out of place."""
    if len(sealed) < CHUNK_OVERHEAD:
        raise DecryptionFailed("chunk too short")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], chunk_aad(transfer_id, index))
    except InvalidTag:
        raise DecryptionFailed(f"chunk {index} does not authenticate") from None


def seal_manifest(key: bytes, transfer_id: str, manifest: bytes) -> str:
    """The file's name, size and SHA-256, sealed so only recipients can read them."""
    nonce = os.urandom(NONCE_BYTES)
    return b64(nonce + AESGCM(key).encrypt(nonce, manifest, b"parley-manifest\0" + transfer_id.encode()))


def open_manifest(key: bytes, transfer_id: str, sealed: str) -> bytes:
    raw = unb64(sealed)
    if len(raw) < CHUNK_OVERHEAD:
        raise DecryptionFailed("manifest too short")
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], b"parley-manifest\0" + transfer_id.encode())
    except InvalidTag:
        raise DecryptionFailed("manifest does not authenticate") from None


def _wrapping_key(shared: bytes, transfer_id: str, recipient_id: str) -> bytes:
    info = b"parley-file-key\0" + transfer_id.encode() + b"\0" + recipient_id.encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(shared)


def wrap_key(
    file_key: bytes, ephemeral: X25519PrivateKey, recipient_public: bytes, transfer_id: str, recipient_id: str
) -> str:
    """``file_key`` sealed for one recipient (base64)."""
    try:
        peer = X25519PublicKey.from_public_bytes(recipient_public)
    except ValueError as exc:
        raise DecryptionFailed("not an X25519 public key") from exc
    wrapping = _wrapping_key(ephemeral.exchange(peer), transfer_id, recipient_id)
    nonce = os.urandom(NONCE_BYTES)
    return b64(nonce + AESGCM(wrapping).encrypt(nonce, file_key, transfer_id.encode()))


def unwrap_key(wrapped: str, own: KeyPair, sender_ephemeral_public: bytes, transfer_id: str, own_id: str) -> bytes:
    """The file key a sender wrapped for us; DecryptionFailed when it was not meant for us."""
    raw = unb64(wrapped)
    try:
        peer = X25519PublicKey.from_public_bytes(sender_ephemeral_public)
    except ValueError as exc:
        raise DecryptionFailed("not an X25519 public key") from exc
    wrapping = _wrapping_key(own.private.exchange(peer), transfer_id, own_id)
    if len(raw) < CHUNK_OVERHEAD:
        raise DecryptionFailed("wrapped key too short")
    try:
        return AESGCM(wrapping).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], transfer_id.encode())
    except InvalidTag:
        raise DecryptionFailed("the file key was not wrapped for this participant") from None


def ephemeral_key() -> tuple[X25519PrivateKey, bytes]:
    """A one-file sender key pair: (private, raw public bytes)."""
    private = X25519PrivateKey.generate()
    return private, private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# --- the data-channel frame that carries one sealed chunk ------------------------------------

FRAME_CHUNK = 1
FRAME_HEADER = struct.Struct(">B16sI")  # type, raw transfer id, chunk index


def chunk_frame(raw_id: bytes, index: int, sealed: bytes) -> bytes:
    """``type | transfer id | index | sealed chunk``: what the relay forwards without opening."""
    return FRAME_HEADER.pack(FRAME_CHUNK, raw_id, index) + sealed


def parse_chunk_frame(data: bytes) -> tuple[bytes, int, bytes] | None:
    """(raw transfer id, index, sealed chunk), or None when ``data`` is not a chunk frame."""
    if len(data) <= FRAME_HEADER.size:
        return None
    kind, raw_id, index = FRAME_HEADER.unpack_from(data)
    if kind != FRAME_CHUNK:
        return None
    return raw_id, index, data[FRAME_HEADER.size :]


def key_fingerprint(public_key: bytes) -> str:
    """A short, readable fingerprint of an X25519 public key for comparing out of band
    (first 80 bits of its SHA-256 in groups of four hex digits)."""
    import hashlib

    digest = hashlib.sha256(b"parley-key\0" + public_key).hexdigest()[:20].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 20, 4))
