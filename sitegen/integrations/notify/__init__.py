"""Delivering the outbox: e-mail (local .eml files or SMTP) and signed agency webhooks."""
