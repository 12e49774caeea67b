"""The licensing errors: all ``robin.RobinError``s, each message says what to do."""

from __future__ import annotations

from robin.errors import RobinError

ACTIVATE = "robin license activate -"


class LicenseError(RobinError):
    """No valid license allows this use; the message names the fix."""


class LicenseKeyError(LicenseError):
    """A license key is not valid (damaged, altered, unknown signer, wrong product...)."""
