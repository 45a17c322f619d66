"""Paid -> online on the desk: the access code card, receipt printing and delivery retries."""
