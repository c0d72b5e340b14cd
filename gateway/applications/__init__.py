"""Applications: intake, the state machine, status and results for institutions."""
