"""Quality feedback: each institution's monthly figures, so it can fix its own forms."""
