"""Meeting links and fingerprints: what people paste must parse, anything else gets a sentence."""

from __future__ import annotations

import pytest

from shared.fingerprint import normalize_fingerprint
from shared.links import BadLink, MeetingLink, parse_link, parse_server


def test_good_links() -> None:
    assert parse_link("parley://relay.example.com:8443/m/AbC_-12") == MeetingLink("relay.example.com", 8443, "AbC_-12")
    assert parse_link("https://relay.example.com/m/x1") == MeetingLink("relay.example.com", 8443, "x1")
    assert parse_link("  parley://10.0.0.5:443/m/id/  ").meeting_id == "id"
    assert parse_link("parley://[::1]:9/m/a").host == "::1"
    assert str(parse_link("parley://h:1/m/a")) == "parley://h:1/m/a"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "parley://",
        "parley://host:notaport/m/a",
        "parley://host:70000/m/a",
        "http://host/m/a",
        "file:///etc/passwd",
        "parley://host/x/a",
        "parley://host/m/",
        "parley://host/m/../../etc",
        "parley://host/m/a b",
        "parley://ho st/m/a",
        "parley://host/m/" + "a" * 100,
        "x" * 1000,
    ],
)
def test_malformed_links_get_a_sentence(text: str) -> None:
    with pytest.raises(BadLink) as info:
        parse_link(text)
    assert "link" in str(info.value)


def test_server_addresses() -> None:
    assert parse_server("relay.example.com") == ("relay.example.com", 8443)
    assert parse_server("wss://relay.example.com:9000") == ("relay.example.com", 9000)
    assert parse_server("127.0.0.1:1234") == ("127.0.0.1", 1234)
    with pytest.raises(BadLink):
        parse_server("")


def test_fingerprint_forms() -> None:
    canonical = ":".join(["AB"] * 32)
    assert normalize_fingerprint("ab" * 32) == canonical
    assert normalize_fingerprint("SHA256:" + canonical.lower()) == canonical
    with pytest.raises(ValueError, match="not a SHA-256 fingerprint"):
        normalize_fingerprint("abc")
