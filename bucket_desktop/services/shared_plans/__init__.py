"""Plans kept on the relay, shared by every desk of a provider (DESIGN.md section 9)."""
