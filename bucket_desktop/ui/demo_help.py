"""The demo's help text: which simulator phone numbers do what."""

from __future__ import annotations

from bucket_desktop.demo import demo_phone_help


def demo_help_text() -> str:
    """A short paragraph for the settings page in demo mode."""
    phones = demo_phone_help()
    sample = ", ".join(f"{phone} {what}" for phone, what in phones[:6])
    return (
        "Demo: the relay and a pretend M-PESA run on this PC and stop when the window closes. "
        f"Scripted phones include {sample}; any other number pays."
    )
