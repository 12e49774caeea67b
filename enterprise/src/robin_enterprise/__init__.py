"""Robin Enterprise: rate limiters, unique jobs, periodic jobs with leader election.

::

    from robin_enterprise import limiter, periodic, leader, OverLimit

    ERP = limiter.concurrent("erp", 5, wait_timeout=5, lock_timeout=30)

    @robin.job(unique_for=600)
    def charge(customer_id): ...

    periodic.register("*/5 * * * *", cleanup_sessions, tz="Europe/Berlin", queue="low")

An Enterprise license unlocks Robin Pro too.  Plugs into Robin through its public seams
only (see robin_enterprise/plugin.py).
"""

from robin_enterprise import leader, limiter, periodic
from robin_enterprise._version import __version__
from robin_enterprise.errors import OverLimit

__all__ = ["OverLimit", "__version__", "leader", "limiter", "periodic"]
