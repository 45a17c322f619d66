"""The Charge customer page: the push form, plan presets and the guide."""
