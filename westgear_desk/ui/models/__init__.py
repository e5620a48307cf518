"""Qt item models over typed read models."""
