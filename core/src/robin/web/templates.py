"""The page layout (tabs, notice, footer), the confirmation page and the error page."""

from __future__ import annotations

import time

from robin._version import __version__
from robin.web.html import Markup, escape, join, render
from robin.web.http import Request
from robin.web.registry import Page
from robin.web.widgets import hidden

LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title · $brand</title>
<link rel="icon" href="data:,">
$csrf<link rel="stylesheet" href="$css">
<script src="$js" defer></script>
</head>
<body data-root="$root">
<header class="top">
<a class="brand" href="$root">$brand</a>
<nav class="tabs">$tabs</nav>
<span class="badges">$badges</span>
</header>
<main>
$notice<h1>$title</h1>
$body
</main>
<footer>Robin $version · namespace $namespace · $now</footer>
</body>
</html>
"""


def layout(request: Request, tabs: list[Page], *, title: str, body: str, notice: str = "", brand: str = "Robin",
           assets: dict[str, str] | None = None, namespace: str = "") -> Markup:
    current = request.page.path if request.page is not None else None
    nav = join(render('<a href="$u"$current>$t</a>', u=request.url(p.path), t=p.title,
                      current=Markup(' aria-current="page"') if p.path == current else Markup(""))
               for p in tabs if p.tab)
    badges = Markup('<span class="badge">read-only</span>') if request.read_only else Markup("")
    assets = assets or {}
    token = Markup("") if request.read_only else render('<meta name="robin-csrf" content="$t">\n',
                                                         t=request.csrf_token)
    return render(LAYOUT, csrf=token, title=title, brand=brand, root=request.root, tabs=nav, badges=badges,
                  css=request.url("/static/robin.css", v=assets.get("robin.css")),
                  js=request.url("/static/robin.js", v=assets.get("robin.js")),
                  notice=render('<p class="notice" role="status">$n</p>\n', n=notice) if notice else Markup(""),
                  body=escape(body), version=__version__, namespace=namespace,
                  now=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))


def confirmation(request: Request, question: str, fields: dict[str, list[str]]) -> Markup:
    """Asked when a destructive form arrives unconfirmed (the browser ran no JavaScript)."""
    pairs = [(name, value) for name, values in fields.items() if name != "confirmed" for value in values]
    back = fields.get("back", [""])[0]
    return render('<p class="question">$q</p>'
                  '<form method="post" action="$target" class="confirm">$fields'
                  '<input type="hidden" name="confirmed" value="1">'
                  '<button type="submit" class="danger">Yes, do it</button> <a href="$back">Cancel</a></form>',
                  q=question, target=request.url(request.path), fields=hidden(pairs),
                  back=request.back_url(back))


def error(status: int, message: str) -> Markup:
    return render('<p class="error">$m</p><p class="status">HTTP $s</p>', m=message, s=str(status))


__all__ = ["confirmation", "error", "escape", "layout"]
