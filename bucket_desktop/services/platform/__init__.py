"""The platform administrator's view of a relay: every provider's health, tokens, the audit log."""
