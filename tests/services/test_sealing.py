"""Sealing credentials to the relay key."""

from __future__ import annotations

import base64
import re

import pytest

from bucket_desktop.services.sealing import (
    SealingError,
    fingerprint,
    generate_private_key,
    public_key_of,
    seal,
    unseal,
)


def test_seal_and_unseal_round_trip() -> None:
    private = generate_private_key()
    public = public_key_of(private)
    sealed = seal(public, b'{"passkey": "x"}')
    assert b"passkey" not in base64.b64decode(sealed)
    assert unseal(private, sealed) == b'{"passkey": "x"}'


def test_another_key_cannot_open() -> None:
    sealed = seal(public_key_of(generate_private_key()), b"secret")
    with pytest.raises(SealingError, match="could not be opened"):
        unseal(generate_private_key(), sealed)
    with pytest.raises(SealingError, match="not valid base64"):
        unseal(generate_private_key(), "***")


def test_fingerprint_is_short_stable_and_distinct() -> None:
    first = public_key_of(generate_private_key())
    second = public_key_of(generate_private_key())
    assert re.fullmatch(r"[0-9A-F]{4}(-[0-9A-F]{4}){3}", fingerprint(first))
    assert fingerprint(first) == fingerprint(first)
    assert fingerprint(first) != fingerprint(second)


@pytest.mark.parametrize("bad", ["", "abc", base64.b64encode(b"short").decode()])
def test_bad_keys_are_refused(bad: str) -> None:
    with pytest.raises(SealingError):
        fingerprint(bad)
    with pytest.raises(SealingError):
        seal(bad, b"x")
