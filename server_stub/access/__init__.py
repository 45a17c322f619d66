"""Paid -> online: access codes, voucher pools, confirmation timing and the delivery outbox."""
