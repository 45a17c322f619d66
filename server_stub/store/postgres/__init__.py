"""The PostgreSQL store (DESIGN.md section 11): the SQLite store's operations on PostgreSQL."""
