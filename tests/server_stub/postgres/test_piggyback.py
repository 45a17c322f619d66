"""Transaction control held back and sent with the next statement (no database needed)."""

from __future__ import annotations

from server_stub.store.postgres.piggyback import Piggyback


def test_control_statements_ride_with_the_next_statement() -> None:
    held = Piggyback()
    assert held.hold("BEGIN") and held.opened
    assert held.hold("SAVEPOINT op")
    assert not held.hold("SELECT 1")
    assert held.prefix() == "BEGIN; SAVEPOINT op; "
    assert held.prefix() == "" and not held.opened  # sent once
    assert held.hold("RELEASE op") and held.hold("SAVEPOINT op")
    assert held.prefix() == "RELEASE op; SAVEPOINT op; "
    assert not held.hold("COMMIT")


def test_a_savepoint_nothing_ran_in_is_never_sent() -> None:
    held = Piggyback()
    held.hold("RELEASE op")  # the previous operation's, still due
    held.hold("SAVEPOINT op")
    assert held.hold("ROLLBACK TO op")  # put off before its first statement
    assert held.hold("RELEASE op")
    assert held.prefix() == "RELEASE op; "


def test_a_rollback_to_a_sent_savepoint_goes_out_and_a_rollback_clears() -> None:
    held = Piggyback()
    held.hold("SAVEPOINT op")
    held.prefix()  # sent with a statement
    assert not held.hold("ROLLBACK TO op")
    held.hold("BEGIN")
    assert held.hold("ROLLBACK")  # never opened on the server: nothing to send
    assert held.prefix() == ""
    held.hold("SAVEPOINT inner")
    assert not held.hold("ROLLBACK") and held.prefix() == ""
