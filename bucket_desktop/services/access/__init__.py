"""Paid -> online on the desk: a payment's access (code or voucher), its deliveries and receipt."""
