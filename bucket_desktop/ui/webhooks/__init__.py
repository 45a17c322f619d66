"""The owner's Webhooks page: endpoints, their secrets shown once, and the delivery log."""
