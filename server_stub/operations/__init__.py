"""Running the relay: settings, start-up checks, logs, metrics, backups and the operator's
commands.
"""
