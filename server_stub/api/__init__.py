"""The relay's HTTP API (DESIGN.md section 4)."""
