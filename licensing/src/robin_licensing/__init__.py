"""robin-licensing: signed license keys for Robin Pro and Robin Enterprise.

For the paid packages::

    from robin_licensing import require
    license = require("batches")      # or "pro", "enterprise", "limiters", ...

For customers: ``robin license activate|status|deactivate``.  For the vendor:
``robin-license keygen|issue|inspect``.
"""

from robin_licensing._version import __version__
from robin_licensing.errors import LicenseError, LicenseKeyError
from robin_licensing.gate import current, refresh, require, status_line
from robin_licensing.license import License

__all__ = ["License", "LicenseError", "LicenseKeyError", "__version__", "current", "refresh", "require",
           "status_line"]
