"""Dialogs around the passphrase key file: starting over after a lost passphrase, changing it."""
