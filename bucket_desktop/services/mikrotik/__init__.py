"""MikroTik hotspot users made by the desk on the shop LAN (DESIGN.md section 9, mechanism 4).

The router is usually unreachable from the relay, so the desk beside it claims its provider's
MikroTik deliveries from the relay, makes or removes the hotspot users over the RouterOS API
(librouteros), and reports. Router credentials stay in the desk's vault.
"""
