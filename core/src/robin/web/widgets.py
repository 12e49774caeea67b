"""Pieces of pages that need the request: forms with their CSRF token, pagers, filters.

A form made here posts to a page's action and brings the browser back to ``back`` (this
page by default).  In a read-only request every form is left out: a user who may only
look sees no button that would be refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from robin.web import csrf
from robin.web.html import Markup, escape, join, render
from robin.web.http import Request


def hidden(fields: Mapping[str, str] | Iterable[tuple[str, str]]) -> Markup:
    pairs = fields.items() if isinstance(fields, Mapping) else fields
    return join(render('<input type="hidden" name="$n" value="$v">', n=n, v=v) for n, v in pairs)


def form_start(request: Request, *, path: str | None = None, back: str | None = None, form_id: str = "",
               css: str = "") -> Markup:
    """``<form method="post">`` with the CSRF token and the way back; close it with ``</form>``."""
    target = request.url(path if path is not None else request.path)
    return render('<form method="post" action="$target"$id$css>$fields', target=target,
                  id=Markup(f' id="{escape(form_id)}"') if form_id else Markup(""),
                  css=Markup(f' class="{escape(css)}"') if css else Markup(""),
                  fields=hidden({csrf.FIELD: request.csrf_token, "back": back or request.here}))


def button(action: str, label: str, *, confirm: str | None = None, danger: bool = False,
           form: str = "") -> Markup:
    """A submit button naming ``action``; ``confirm`` asks first (the static JS shows it)."""
    return render('<button type="submit" name="action" value="$action" class="$css"$confirm$form>$label</button>',
                  action=action, label=label, css="danger" if danger else "",
                  confirm=render(' data-confirm="$q"', q=confirm) if confirm else Markup(""),
                  form=render(' form="$f"', f=form) if form else Markup(""))


def action_form(request: Request, action: str, label: str, *, fields: Mapping[str, str] | None = None,
                confirm: str | None = None, danger: bool = False, path: str | None = None,
                back: str | None = None) -> Markup:
    """A one-button form (``Retry now``, ``Clear``); nothing in a read-only request."""
    if request.read_only:
        return Markup("")
    return render('$start$fields$button</form>', start=form_start(request, path=path, back=back, css="inline"),
                  fields=hidden(fields or {}), button=button(action, label, confirm=confirm, danger=danger))


def checkbox(name: str, value: str, label: str = "select", form: str = "") -> Markup:
    return render('<input type="checkbox" name="$n" value="$v" aria-label="$l"$form>', n=name, v=value, l=label,
                  form=render(' form="$f"', f=form) if form else Markup(""))


def select_all(form: str) -> Markup:
    """A header checkbox that (with the static JS) ticks every checkbox of ``form``."""
    return render('<input type="checkbox" data-select-all="$f" aria-label="select all">', f=form)


def pager(request: Request, page: int, *, has_next: bool, last: int | None = None,
          cursor: str | None = None) -> Markup:
    """Previous/next links that keep the other query parameters (``page`` or a search ``cursor``)."""
    keep = {k: v for k, v in request.query.items() if k not in ("page", "cursor", "from")}
    parts: list[Markup] = []
    if cursor is not None or "cursor" in request.query:  # a search: forward only, by cursor
        if "cursor" in request.query:
            parts.append(render('<a href="$u">first page</a>', u=request.url(request.path, **keep)))
        if cursor:
            parts.append(render('<a href="$u" rel="next">next page →</a>',
                                u=request.url(request.path, **keep, cursor=cursor)))
        return render('<nav class="pager">$p</nav>', p=join(parts, " "))
    if page > 1:
        parts.append(render('<a href="$u" rel="prev">← previous</a>', u=request.url(request.path, **keep,
                                                                                 page=page - 1)))
    parts.append(render('<span>page $n$of</span>', n=f"{page:,}",
                        of=f" of {last:,}" if last is not None else ""))
    if has_next:
        parts.append(render('<a href="$u" rel="next">next →</a>', u=request.url(request.path, **keep, page=page + 1)))
    return render('<nav class="pager">$p</nav>', p=join(parts, " "))


def search_box(request: Request, *, placeholder: str) -> Markup:
    """A GET form filtering the page by text (``q``)."""
    return render('<form method="get" action="$target" class="search" role="search">'
                  '<input type="search" name="q" value="$q" placeholder="$ph" aria-label="$ph">'
                  '<button type="submit">Filter</button>$clear</form>',
                  target=request.url(request.path), q=request.arg("q"), ph=placeholder,
                  clear=render(' <a href="$u">clear</a>', u=request.url(request.path)) if request.arg("q")
                  else Markup(""))
