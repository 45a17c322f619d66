"""RADIUS delivery: the relay writes FreeRADIUS's SQL rows for each access code.

The router asks FreeRADIUS at every hotspot login, so an access written here works at once, with
no call into the shop's network (DESIGN.md section 9). One relay-wide database
(RADIUS_DATABASE_URL) serves every provider; each provider switches RADIUS on for itself.
"""
