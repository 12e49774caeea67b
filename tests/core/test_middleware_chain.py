"""Middleware chains: add, prepend, insert_before/after, remove; fresh instances per call."""

from __future__ import annotations

from typing import Any

from robin.middleware import Chain


def named(name: str, trail: list[str], instances: list[Any] | None = None) -> type:
    class Recorder:
        def __init__(self) -> None:
            if instances is not None:
                instances.append(self)

        def call(self, ctx: Any, call_next: Any) -> Any:
            trail.append(f"{name}>")
            result = call_next()
            trail.append(f"<{name}")
            return result

    Recorder.__name__ = name
    return Recorder


def test_chain_orders_and_wraps() -> None:
    trail: list[str] = []
    a, b, c, d = (named(n, trail) for n in "abcd")
    chain: Chain[None, str] = Chain("test")
    chain.add(b)
    chain.prepend(a)
    chain.add(d)
    chain.insert_before(d, c)
    assert chain.classes() == [a, b, c, d]
    assert chain.invoke(None, lambda: "done") == "done"
    assert trail == ["a>", "b>", "c>", "d>", "<d", "<c", "<b", "<a"]


def test_insert_after_remove_and_moving_an_existing_entry() -> None:
    trail: list[str] = []
    a, b, c = (named(n, trail) for n in "abc")
    chain: Chain[None, None] = Chain("test")
    chain.add(a)
    chain.add(b)
    chain.insert_after(a, c)
    assert chain.classes() == [a, c, b]
    chain.add(a)  # adding again moves it to the end
    assert chain.classes() == [c, b, a]
    chain.remove(c)
    chain.remove(c)  # removing twice is harmless
    assert chain.classes() == [b, a]
    assert a in chain and c not in chain


def test_middleware_can_stop_the_chain() -> None:
    class Stop:
        def call(self, ctx: Any, call_next: Any) -> None:
            return None

    chain: Chain[None, str | None] = Chain("test")
    chain.add(Stop)
    assert chain.invoke(None, lambda: "never") is None


def test_each_call_gets_fresh_instances_with_constructor_arguments() -> None:
    made: list[Any] = []

    class WithArgs:
        def __init__(self, prefix: str) -> None:
            self.prefix = prefix
            made.append(self)

        def call(self, ctx: list[str], call_next: Any) -> Any:
            ctx.append(self.prefix)
            return call_next()

    chain: Chain[list[str], None] = Chain("test")
    chain.add(WithArgs, "p")
    seen: list[str] = []
    chain.invoke(seen, lambda: None)
    chain.invoke(seen, lambda: None)
    assert seen == ["p", "p"]
    assert len(made) == 2 and made[0] is not made[1]
