"""Automatic pre-review (预审): pure rules over the canonical application and a register snapshot.

``run_prereview`` collects every finding (the one-time notice); ``triage`` sorts the application
into refused, automatically approved, simple or complex. No database, no web framework.
"""
