"""The audit log: who changed credentials, tokens, plans, settings and providers, and when."""
