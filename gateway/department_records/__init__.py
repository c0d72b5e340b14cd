"""Records departments push in: deed-tax (契税) records and filed sale contracts (网签备案), kept verbatim."""
