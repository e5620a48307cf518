"""The ASGI receiver that verifies webhook signatures and writes to the inbox."""

from westgear_desk.webhooks.app import ReceiverConfig, build_app

__all__ = ["ReceiverConfig", "build_app"]
