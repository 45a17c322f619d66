"""The About box: versions, the relay in use, the log file, where Daraja credentials are found."""
