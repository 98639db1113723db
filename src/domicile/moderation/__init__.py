"""Content moderation: perceptual hash matching, the prohibited-content register, review."""
