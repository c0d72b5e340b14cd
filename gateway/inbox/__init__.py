"""The pull inbox: every signed document and event for an institution, in one gapless order per institution."""
