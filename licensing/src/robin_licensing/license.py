"""A verified license, and where it stands in time (the expiry ladder).

* more than 30 days before it expires: active;
* the last 30 days: active, with a warning at worker start and in ``status``;
* after ``expires_at``: 30 days of grace - everything works, with loud warnings;
* after the grace: new uses of paid features raise ``LicenseError``; work already
  queued or in flight keeps running (Pro and Enterprise never check it).

``expires_at`` is a date: the license covers that whole day (UTC).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from robin_licensing.errors import LicenseKeyError

TIERS = ("pro", "enterprise")
WARN_BEFORE = timedelta(days=30)
GRACE = timedelta(days=30)
SKEW = timedelta(minutes=5)

# What each tier unlocks.  Enterprise includes Pro.  A key's "features" list adds to these.
TIER_FEATURES = {
    "pro": frozenset({"pro", "batches", "pause", "expiring"}),
    "enterprise": frozenset({"pro", "batches", "pause", "expiring",
                             "enterprise", "limiters", "unique", "periodic"}),
}
FEATURE_TIER = (dict.fromkeys(TIER_FEATURES["pro"], "pro")
                | dict.fromkeys(TIER_FEATURES["enterprise"] - TIER_FEATURES["pro"], "enterprise"))


@dataclass(frozen=True)
class License:
    """A license whose key verified.  ``source`` says where the key was found."""

    key: str = field(repr=False)
    payload: dict[str, Any] = field(repr=False)
    source: str = ""

    @classmethod
    def from_payload(cls, key: str, payload: dict[str, Any], source: str = "") -> License:
        tier = payload.get("tier")
        if tier not in TIERS:
            raise LicenseKeyError(f"the key names an unknown tier {tier!r}; ask the Robin vendor for a new key")
        try:
            date.fromisoformat(str(payload.get("expires_at")))
            datetime.fromisoformat(str(payload.get("issued_at")))
        except ValueError:
            raise LicenseKeyError("the key's dates are not valid; ask the Robin vendor for a new key") from None
        return cls(key, payload, source)

    # -- fields ----------------------------------------------------------------------
    @property
    def id(self) -> str:
        return str(self.payload.get("id", ""))

    @property
    def customer(self) -> str:
        return str(self.payload.get("customer", ""))

    @property
    def email(self) -> str:
        return str(self.payload.get("email", ""))

    @property
    def tier(self) -> str:
        return str(self.payload["tier"])

    @property
    def features(self) -> frozenset[str]:
        """Everything this license unlocks: its tier's features plus any listed."""
        extra = self.payload.get("features") or []
        return TIER_FEATURES[self.tier] | frozenset(str(f) for f in extra)

    @property
    def max_processes(self) -> int | None:
        value = self.payload.get("max_processes")
        return int(value) if isinstance(value, int) else None

    @property
    def env(self) -> str:
        return str(self.payload.get("env", "production"))

    @property
    def is_test(self) -> bool:
        return self.env == "test"

    @property
    def issued_at(self) -> datetime:
        issued = datetime.fromisoformat(str(self.payload["issued_at"]))
        return issued if issued.tzinfo else issued.replace(tzinfo=UTC)

    @property
    def expires_on(self) -> date:
        return date.fromisoformat(str(self.payload["expires_at"]))

    @property
    def expires_at(self) -> datetime:
        """The first moment it no longer covers: midnight UTC after ``expires_on``."""
        return datetime.combine(self.expires_on + timedelta(days=1), datetime.min.time(), tzinfo=UTC)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the key: safe to show and to compare, unlike the key itself."""
        return hashlib.sha256(self.key.encode()).hexdigest()

    # -- time --------------------------------------------------------------------------
    def days_left(self, now: datetime) -> int:
        return (self.expires_at - now).days

    def phase(self, now: datetime) -> str:
        """``active``, ``expiring`` (last 30 days), ``grace`` (30 days after) or ``expired``."""
        if now >= self.expires_at + GRACE:
            return "expired"
        if now >= self.expires_at:
            return "grace"
        if now >= self.expires_at - WARN_BEFORE:
            return "expiring"
        return "active"

    def usable(self, now: datetime) -> bool:
        return self.phase(now) != "expired"

    def warnings(self, now: datetime, processes: int | None = None) -> list[str]:
        """What to tell people about this license now (empty when all is well)."""
        found = []
        phase = self.phase(now)
        if phase == "expiring":
            found.append(f"the license expires on {self.expires_on} ({self.days_left(now)} days left): renew it "
                         f"to keep paid features working")
        elif phase == "grace":
            end = (self.expires_at + GRACE).date()
            found.append(f"THE LICENSE EXPIRED on {self.expires_on}: paid features keep working until {end} "
                         f"(grace period), then new uses stop; renew now and activate the new key "
                         f"(robin license activate -)")
        elif phase == "expired":
            found.append(f"THE LICENSE EXPIRED on {self.expires_on} and its grace period is over: new uses of paid "
                         f"features are refused (queued work still runs); renew and activate a new key")
        if self.issued_at > now + SKEW:
            found.append(f"the license was issued in the future ({self.issued_at:%Y-%m-%d %H:%M} UTC): this "
                         f"machine's clock is probably wrong")
        if processes is not None and self.max_processes is not None and processes > self.max_processes:
            found.append(f"{processes} worker processes run, more than the {self.max_processes} this license "
                         f"covers: nothing stops, but please extend the license")
        if self.is_test:
            found.append("this is a TEST license (ROBIN_LICENSE_MODE=test): not for production")
        return found

    def describe(self) -> str:
        """``licensed to Acme Inc, expires 2027-11-29`` (says TEST for a test license)."""
        test = "TEST license, " if self.is_test else ""
        return f"{test}licensed to {self.customer}, expires {self.expires_on}"

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {"customer": self.customer, "email": self.email, "tier": self.tier, "id": self.id,
                "features": sorted(self.features), "issued_at": self.payload.get("issued_at"),
                "expires_at": str(self.expires_on), "days_left": self.days_left(now), "phase": self.phase(now),
                "max_processes": self.max_processes, "env": self.env, "test": self.is_test,
                "source": self.source, "fingerprint": self.fingerprint, "warnings": self.warnings(now)}
