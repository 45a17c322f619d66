"""Questions that stop an owner from charging real customers by mistake (issue 13, item 5)."""
