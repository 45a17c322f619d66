"""The owner's setup: starting over after a lost passphrase, sandbox values in production, and
the first-run checklist (issue 13)."""
