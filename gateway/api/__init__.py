"""The HTTP layer: thin endpoints over services; errors rendered as RFC 9457 problem+json."""
