"""Platform administrators (DESIGN.md section 12): every provider's health, and managing them."""
