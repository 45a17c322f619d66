"""Durable storage for the relay behind one interface (`Store`)."""
