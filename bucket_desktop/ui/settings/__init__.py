"""The Payment settings page: Daraja credentials, language and the relay panel."""
