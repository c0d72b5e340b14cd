"""Title watch: signed notices to a bank when its collateral's register entries change."""
