"""Institutions (banks, housing-fund centres), their registered certificates, and their HTTP auth."""
