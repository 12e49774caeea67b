"""The gate: require() for new work, the expiry ladder, lookup order, caching."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import robin
from robin_licensing import LicenseError, gate, require, status_line, store, trust

EXPIRES = "2027-06-30"
END = datetime(2027, 7, 1, tzinfo=UTC)  # the first moment the license no longer covers


def at(when: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate, "clock", lambda: when)


def test_no_license_names_the_feature_the_tier_and_the_command(licensing_home: Path) -> None:
    with pytest.raises(LicenseError) as caught:
        require("batches")
    message = str(caught.value)
    assert message.startswith("Robin Pro is required for batches, and no license is active")
    assert "robin license activate -" in message
    assert isinstance(caught.value, robin.RobinError)


def test_a_pro_license_unlocks_pro_not_enterprise(licensing_home: Path, monkeypatch: pytest.MonkeyPatch,
                                                 key: Callable[..., str]) -> None:
    monkeypatch.setenv("ROBIN_LICENSE", key(tier="pro"))
    assert require("batches").tier == "pro" and require("pro").customer == "Acme Inc"
    with pytest.raises(LicenseError, match="Robin Enterprise is required for rate limiters, but the active license "
                                           "is for Robin Pro"):
        require("limiters")


def test_an_enterprise_license_unlocks_both_and_listed_features_add_to_a_tier(
    licensing_home: Path, monkeypatch: pytest.MonkeyPatch, key: Callable[..., str]
) -> None:
    monkeypatch.setenv("ROBIN_LICENSE", key(tier="enterprise"))
    for feature in ("pro", "batches", "enterprise", "limiters", "unique", "periodic"):
        require(feature)
    monkeypatch.setenv("ROBIN_LICENSE", key(tier="pro", features=["unique"]))
    gate.refresh()
    require("unique")
    with pytest.raises(LicenseError):
        require("periodic")


def test_the_expiry_ladder(licensing_home: Path, monkeypatch: pytest.MonkeyPatch, key: Callable[..., str],
                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("ROBIN_LICENSE", key(expires_at=EXPIRES, issued_at="2026-06-30T00:00:00+00:00"))
    license_ = gate.current()
    assert license_ is not None
    ladder = [(END - timedelta(days=40), "active"), (END - timedelta(days=20), "expiring"),
              (END + timedelta(days=10), "grace"), (END + timedelta(days=31), "expired")]
    for when, phase in ladder:
        assert license_.phase(when) == phase
    at(END - timedelta(days=40), monkeypatch)
    with caplog.at_level(logging.WARNING, logger="robin"):
        require("batches")
    assert not [r for r in caplog.records if "expire" in r.getMessage()]
    at(END - timedelta(days=20), monkeypatch)
    require("batches")
    assert "the license expires on 2027-06-30 (20 days left)" in status_line("pro", "1.0.0")
    at(END + timedelta(days=10), monkeypatch)
    with caplog.at_level(logging.WARNING, logger="robin"):
        require("batches")  # grace: full function...
    assert any("THE LICENSE EXPIRED on 2027-06-30: paid features keep working until 2027-07-31" in r.getMessage()
               for r in caplog.records)  # ...with loud warnings
    at(END + timedelta(days=31), monkeypatch)
    with pytest.raises(LicenseError, match="the license expired on 2027-06-30 \\(the 30-day grace period is over\\)"):
        require("batches")


def test_too_many_processes_and_clock_skew_only_warn(licensing_home: Path, monkeypatch: pytest.MonkeyPatch,
                                                    key: Callable[..., str]) -> None:
    future = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0).isoformat()
    monkeypatch.setenv("ROBIN_LICENSE", key(max_processes=2, issued_at=future))
    license_ = require("batches")
    warnings = license_.warnings(datetime.now(UTC), processes=3)
    assert any("3 worker processes run, more than the 2 this license covers: nothing stops" in w for w in warnings)
    assert any("issued in the future" in w for w in warnings)
    assert any("TEST license" in w for w in warnings)


def test_lookup_order(licensing_home: Path, monkeypatch: pytest.MonkeyPatch, key: Callable[..., str]) -> None:
    system = store.SYSTEM_FILE
    system.parent.mkdir(parents=True)
    system.write_text(key(customer="From /etc"))
    assert store.load().customer == "From /etc"  # type: ignore[union-attr]
    store.activate(key(customer="From the user file"))
    assert store.load().customer == "From the user file"  # type: ignore[union-attr]
    file = licensing_home / "mounted-secret"
    file.write_text(key(customer="From ROBIN_LICENSE_FILE") + "\n")
    monkeypatch.setenv("ROBIN_LICENSE_FILE", str(file))
    assert store.load().customer == "From ROBIN_LICENSE_FILE"  # type: ignore[union-attr]
    monkeypatch.setenv("ROBIN_LICENSE", key(customer="From ROBIN_LICENSE"))
    found = store.load()
    assert found is not None and found.customer == "From ROBIN_LICENSE" and found.source == "ROBIN_LICENSE"
    monkeypatch.delenv("ROBIN_LICENSE")
    monkeypatch.setenv("ROBIN_LICENSE_FILE", str(licensing_home / "missing"))
    with pytest.raises(LicenseError, match=r"ROBIN_LICENSE_FILE=.*missing: cannot read it"):
        store.load()


def test_an_invalid_configured_key_says_where_it_was(licensing_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBIN_LICENSE", "robin1.garbage")
    with pytest.raises(LicenseError, match="Robin Pro is required for batches, and the license key in ROBIN_LICENSE "
                                           "is not valid: the license key is damaged"):
        require("batches")


def test_the_license_is_read_once_per_process(licensing_home: Path, monkeypatch: pytest.MonkeyPatch,
                                              key: Callable[..., str]) -> None:
    monkeypatch.setenv("ROBIN_LICENSE", key())
    calls = []
    real = store.load
    monkeypatch.setattr(store, "load", lambda: calls.append(1) or real())
    for _ in range(100):
        require("batches")
    assert len(calls) == 1
    gate.refresh()
    require("batches")
    assert len(calls) == 2


def test_status_line_for_the_worker_log(licensing_home: Path, monkeypatch: pytest.MonkeyPatch,
                                        key: Callable[..., str]) -> None:
    assert status_line("pro", "1.0.0").startswith("Robin Pro 1.0.0 is not licensed: no license is active")
    monkeypatch.setenv("ROBIN_LICENSE", key(customer="Acme Inc", expires_at="2099-11-29", env="production"))
    test_keys = trust._load(trust.TEST_KEYS)
    monkeypatch.setattr(trust, "trusted", lambda: dict(test_keys))  # a production payload, as the vendor signs
    gate.refresh()
    assert status_line("pro", "1.0.0") == "Robin Pro 1.0.0 licensed to Acme Inc, expires 2099-11-29"
    assert status_line("enterprise", "1.0.0") == ("Robin Enterprise 1.0.0 is not licensed: the active license is "
                                                  "for Robin Pro")
