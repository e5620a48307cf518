"""The ASGI receiver that verifies webhook signatures and writes to the inbox."""
