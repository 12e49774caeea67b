"""Payloads: strict JSON arguments with messages that name the culprit; decoding checks."""

from __future__ import annotations

import datetime
import decimal
import json

import pytest

import robin
from robin.payload import check_arguments, decode, quarantine


def test_json_native_arguments_pass() -> None:
    check_arguments([1, 2.5, "x", True, None, [1, [2]], {"a": {"b": [None]}}], {"k": {"n": 1}})


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ([1, {"when": datetime.datetime(2026, 1, 1)}], {}, "args[1]['when']: datetime is not JSON-serializable"),
        ([], {"amount": decimal.Decimal("1.5")}, "kwargs['amount']: Decimal is not JSON-serializable"),
        ([(1, 2)], {}, "args[0]: tuple is not JSON-serializable (pass a list)"),
        ([{1: "x"}], {}, "args[0]: key 1 is int; JSON object keys must be str"),
        ([[1, [2, {3}]]], {}, "args[0][1][1]: set is not JSON-serializable"),
        ([float("nan")], {}, "args[0]: nan is not valid JSON"),
        ([b"bytes"], {}, "args[0]: bytes is not JSON-serializable"),
    ],
)
def test_non_json_arguments_raise_type_error_naming_the_argument(args: list, kwargs: dict, message: str) -> None:
    with pytest.raises(TypeError) as caught:
        check_arguments(args, kwargs)
    assert message in str(caught.value)
    assert isinstance(caught.value, robin.RobinError)


def test_cyclic_arguments_are_refused_clearly() -> None:
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(robin.ArgumentError, match="nested too deeply"):
        check_arguments([cycle], {})


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1,2]", "JSON list, not an object"),
        (b'{"job":"x","args":[],"queue":"q"}', "no 'jid'"),
        (b'{"jid":"1","args":[],"queue":"q"}', "no 'job'"),
        (b'{"jid":"1","job":"x","args":{},"queue":"q"}', "'args' is missing or not a list"),
        (b'{"jid":"1","job":"x","args":[],"kwargs":[],"queue":"q"}', "'kwargs' is not an object"),
        (b'\xff\xfe', "not JSON"),
    ],
)
def test_decode_rejects_malformed_payloads_with_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(robin.PayloadError, match=reason):
        decode(raw)


def test_quarantine_keeps_garbage_readable_in_the_dead_set() -> None:
    dead = quarantine(b"\x00garbage", "payload is not JSON", "default", 1.0)
    assert dead["raw"] == "\x00garbage"
    assert dead["dead_reason"] == "malformed payload: payload is not JSON"
    assert len(dead["jid"]) == 24
    json.dumps(dead)  # the dead set can hold it
