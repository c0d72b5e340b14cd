"""The batch channel: one signed bundle of individually signed applications and their materials."""
