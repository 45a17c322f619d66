"""The owner's signed webhooks on the relay, as the desktop sees them (Qt-free)."""
