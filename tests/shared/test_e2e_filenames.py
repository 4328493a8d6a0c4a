"""Pure helpers: chunk sealing with the index bound in, key wrapping, received-file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared import e2e
from shared.filenames import move_into_place, sanitize_filename


def test_chunk_is_bound_to_its_index_and_transfer() -> None:
    key = e2e.new_file_key()
    sealed = e2e.seal_chunk(key, "t1", 5, b"secret")
    assert b"secret" not in sealed
    assert e2e.open_chunk(key, "t1", 5, sealed) == b"secret"
    for index, transfer in ((4, "t1"), (6, "t1"), (5, "t2")):
        with pytest.raises(e2e.DecryptionFailed):
            e2e.open_chunk(key, transfer, index, sealed)
    tampered = sealed[:20] + bytes([sealed[20] ^ 1]) + sealed[21:]
    with pytest.raises(e2e.DecryptionFailed):
        e2e.open_chunk(key, "t1", 5, tampered)


def test_key_wrapped_for_one_recipient_only() -> None:
    bob, eve = e2e.KeyPair(), e2e.KeyPair()
    key = e2e.new_file_key()
    eph, eph_pub = e2e.ephemeral_key()
    wrapped = e2e.wrap_key(key, eph, bob.public_bytes, "t", "bob")
    assert e2e.unwrap_key(wrapped, bob, eph_pub, "t", "bob") == key
    with pytest.raises(e2e.DecryptionFailed):
        e2e.unwrap_key(wrapped, eve, eph_pub, "t", "bob")
    with pytest.raises(e2e.DecryptionFailed):
        e2e.unwrap_key(wrapped, bob, eph_pub, "t", "eve")  # recipient id is bound in


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system.ini", "system.ini"),
        ("/etc/shadow", "shadow"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ("a\x00b\x1fc\x7f.txt", "abc.txt"),
        ("bell\u202egnp.exe", "bellgnp.exe"),
        ("..", "received-file"),
        ("", "received-file"),
        ("trailing. . ", "trailing"),
        ('what?<>:"|*.txt', "what_______.txt"),
    ],
)
def test_sanitize_filename(given: str, expected: str) -> None:
    assert sanitize_filename(given) == expected


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = sanitize_filename("x" * 500 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= 200


def test_final_name_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("mine")
    (tmp_path / "a (2).txt").write_text("mine too")
    temp = tmp_path / ".a.txt.part"
    temp.write_text("received")
    final = move_into_place(temp, tmp_path, "a.txt")
    assert final.name == "a (3).txt" and final.read_text() == "received"
    assert (tmp_path / "a.txt").read_text() == "mine" and not temp.exists()
