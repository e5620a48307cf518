"""WestGear Desk: the back-office desk for WestGear's shop and its integrations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("westgear-desk")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
