"""Signed webhooks: endpoints, events written with the changes they describe, and delivery."""
