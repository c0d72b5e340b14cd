"""Delivery of signed outputs to institutions' callback URLs: retries, dead letters, re-drive."""
