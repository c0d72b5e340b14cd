"""Staff accounts: roles, sign-in (password, TOTP second factor, lockout) and their administration."""
