"""Owner setup services: starting over after a lost passphrase, sandbox values in production,
and the first-run checklist."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from bucket_desktop.services.app_settings import AppPaths
from bucket_desktop.services.credentials import DarajaCredentials, Environment
from bucket_desktop.services.keystore import VAULT_KEY
from bucket_desktop.services.owner_setup.checklist import SetupFacts, Step, checklist, is_complete
from bucket_desktop.services.owner_setup.fresh_start import (
    locked_files,
    set_aside_locked_files,
)
from bucket_desktop.services.owner_setup.sandbox_check import (
    SANDBOX_PASSKEY,
    sandbox_values_in_production,
)
from bucket_desktop.services.passphrase_keys import PassphraseKeyFile
from bucket_desktop.services.relay_models import CredentialsSummary

LIVE = DarajaCredentials(
    consumer_key="key",
    consumer_secret="secret",
    shortcode="600977",
    passkey="f" * 64,
    environment=Environment.PRODUCTION,
)


def test_starting_over_moves_the_locked_files_into_a_dated_folder(tmp_path: Path) -> None:
    paths = AppPaths.portable(tmp_path)
    PassphraseKeyFile(paths.key_file).create("forgotten phrase").set(VAULT_KEY, "k")
    paths.vault_file.write_text('{"format": 1, "data": "x"}')
    paths.settings_file.write_text('{"relay_url": "https://relay.example.com"}')
    key_bytes, vault_bytes = paths.key_file.read_bytes(), paths.vault_file.read_bytes()

    first = set_aside_locked_files(paths, datetime(2026, 11, 30, 9, 12, 5))
    assert first.folder == tmp_path / "set-aside-2026-11-30-091205"
    assert first.moved == ("keys.locked", "credentials.vault")
    assert (first.folder / "keys.locked").read_bytes() == key_bytes  # moved, not rewritten
    assert (first.folder / "credentials.vault").read_bytes() == vault_bytes
    assert locked_files(paths) == []
    assert paths.settings_file.exists()  # the relay address is no secret and stays
    # The same second again (a second start-over) never overwrites the first folder.
    PassphraseKeyFile(paths.key_file).create("another phrase")
    second = set_aside_locked_files(paths, datetime(2026, 11, 30, 9, 12, 5))
    assert second.folder != first.folder and second.moved == ("keys.locked",)
    assert (first.folder / "keys.locked").read_bytes() == key_bytes


def test_sandbox_values_in_production_are_named() -> None:
    assert sandbox_values_in_production(LIVE) is None
    sandbox_code = dataclasses.replace(LIVE, shortcode="174379")
    warning = sandbox_values_in_production(sandbox_code) or ""
    assert "shortcode 174379" in warning and "sandbox" in warning
    both = dataclasses.replace(LIVE, shortcode="174379", passkey=SANDBOX_PASSKEY)
    assert "the shortcode 174379 and the passkey are" in (sandbox_values_in_production(both) or "")
    only_key = dataclasses.replace(LIVE, passkey=SANDBOX_PASSKEY.upper())
    assert "passkey is" in (sandbox_values_in_production(only_key) or "")
    in_sandbox = dataclasses.replace(both, environment=Environment.SANDBOX)
    assert sandbox_values_in_production(in_sandbox) is None


def _summary(**changes: object) -> CredentialsSummary:
    base = CredentialsSummary(
        configured=False,
        shortcode=None,
        environment=None,
        account_type=None,
        till_number=None,
        verified=False,
        last_test=None,
        test_status=None,
        callback_url=None,
        provider_name="Kibera WiFi",
        provider_id="1",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "done"),
    [
        (SetupFacts("https://r.example", False, _summary(), False), [Step.RELAY]),
        (SetupFacts("https://r.example", True, _summary(), False), [Step.RELAY, Step.SAVED]),
        (
            SetupFacts("https://r.example", True, _summary(configured=True), False),
            [Step.RELAY, Step.SAVED, Step.PUSHED],
        ),
        (
            SetupFacts(
                "https://r.example",
                True,
                _summary(configured=True, prompt_proven_at="2026-11-30T09:00:00Z"),
                True,
            ),
            list(Step),
        ),
        (
            SetupFacts("https://r.example", True, None, True, "The relay is down."),
            [Step.RELAY, Step.SAVED, Step.PLANS],
        ),
    ],
    ids=["signed-in", "saved", "pushed", "all-done", "relay-down"],
)
def test_checklist_lines_follow_the_facts(facts: SetupFacts, done: list[Step]) -> None:
    lines = checklist(facts)
    assert [line.step for line in lines] == list(Step)
    assert [line.step for line in lines if line.done] == done
    assert is_complete(lines) == (done == list(Step))
    assert all(line.state for line in lines)
    assert lines[3].ready == (Step.PUSHED in done)  # a test prompt needs credentials there
    if facts.summary is None:
        assert lines[2].state == "The relay is down."
