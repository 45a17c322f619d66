"""Tokens, secrets at rest, the relay's sealing key, abuse limits and connection guards."""
