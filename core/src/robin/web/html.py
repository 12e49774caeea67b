"""Building HTML safely: every value is escaped unless it is already :class:`Markup`.

Pages (core's and plug-ins') build their HTML with these helpers, never by gluing
strings that came from a job::

    from robin.web.html import Markup, render, table

    render("<p>$who ran $n jobs</p>", who=job_name, n=count)   # job_name is escaped
    table(["job", "args"], [(e.job, e.display_args()) for e in entries])

``render`` uses :class:`string.Template` (``$name`` placeholders): values are escaped with
:func:`html.escape` (quotes too, so they are safe inside attributes) unless they are
``Markup``, which helpers return.  Job-derived text must only ever reach a page this way.
"""

from __future__ import annotations

import html
import string
import time
from collections.abc import Iterable
from typing import Any

from robin.humanize import duration


class Markup(str):
    """Text that is HTML already: inserted as it is by :func:`render` and :func:`join`."""

    __slots__ = ()


def escape(value: Any) -> Markup:
    """``value`` as text in HTML (``<``, ``>``, ``&`` and both quotes escaped); Markup passes through."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def render(template: str, /, **values: Any) -> Markup:
    """Fill ``$name`` placeholders of ``template`` (trusted HTML) with escaped ``values``."""
    return Markup(string.Template(template).substitute({k: escape(v) for k, v in values.items()}))


def join(parts: Iterable[Any], separator: str = "") -> Markup:
    """Concatenate, escaping every part that is not Markup."""
    return Markup(separator.join(escape(p) for p in parts))


def link(href: str, text: Any, *, css: str = "") -> Markup:
    """``<a href=...>text</a>``; ``href`` is escaped too (build it with ``request.url``)."""
    return render('<a href="$href"$css>$text</a>', href=href, text=text,
                  css=Markup(f' class="{escape(css)}"') if css else Markup(""))


def table(headers: Iterable[Any], rows: Iterable[Iterable[Any]], *, empty: str = "nothing here",
          css: str = "") -> Markup:
    """A table; every cell is escaped unless it is Markup.  ``empty`` is shown when there are no rows."""
    head = join(render("<th>$h</th>", h=h) for h in headers)
    body = [join(render("<td>$c</td>", c=c) for c in row) for row in rows]
    if not body:
        return render('<p class="empty">$empty</p>', empty=empty)
    return render('<table class="$css"><thead><tr>$head</tr></thead><tbody>$body</tbody></table>', css=css,
                  head=head, body=join(render("<tr>$cells</tr>", cells=cells) for cells in body))


def definition_list(items: Iterable[tuple[Any, Any]]) -> Markup:
    """``<dl>`` of name/value pairs, both escaped unless Markup."""
    return render('<dl class="facts">$items</dl>',
                  items=join(render("<dt>$k</dt><dd>$v</dd>", k=k, v=v) for k, v in items))


def section(title: Any, body: Any, *, aside: Any = "") -> Markup:
    """A titled block of a page; ``aside`` goes on the right of the title (counts, links)."""
    return render('<section><header class="section"><h2>$title</h2><div class="aside">$aside</div></header>'
                  '$body</section>', title=title, body=body, aside=aside)


def number(value: float) -> str:
    """``12,345``."""
    return f"{value:,.0f}"


def when(timestamp: float | None, now: float | None = None) -> Markup:
    """``<time>`` with the UTC date as its tooltip and ``3 min ago`` / ``in 2 s`` as its text."""
    if not timestamp:
        return Markup("")
    try:
        delta = (now or time.time()) - timestamp
        text = f"{duration(delta)} ago" if delta >= 0 else f"in {duration(delta)}"
        moment = time.gmtime(timestamp)
    except (OverflowError, OSError, ValueError, TypeError):  # 1e20, NaN, "soon": a job's data, shown as it is
        return escape(timestamp)
    return render('<time datetime="$iso" title="$stamp">$text</time>',
                  iso=time.strftime("%Y-%m-%dT%H:%M:%SZ", moment),
                  stamp=time.strftime("%Y-%m-%d %H:%M:%S UTC", moment), text=text)


def shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
