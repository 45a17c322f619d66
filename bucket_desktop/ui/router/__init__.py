"""The Router page: the shop's MikroTik and the hotspot users this desk makes on it."""
