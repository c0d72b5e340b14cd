"""Staff accounts: reviewers, administrators (and, later, clerks and supervisors)."""
