"""Charts drawn on the server, as SVG: the processed/failed history of the dashboard.

No script and no inline style: sizes are SVG attributes, colours come from the
stylesheet (classes ``processed`` and ``failed``), and each bar has a ``<title>`` tooltip.
"""

from __future__ import annotations

from robin.api import DayStats
from robin.web.html import Markup, join, number, render

WIDTH, HEIGHT, AXIS = 1000, 200, 18


def history(days: list[DayStats]) -> Markup:
    """Bars per day: processed, and failed beside it; the oldest day on the left."""
    if not days:
        return Markup("")
    top = max(*(d.processed for d in days), *(d.failed for d in days), 1)
    slot = WIDTH / len(days)
    bar = max(1.0, slot * 0.4)
    plot = HEIGHT - AXIS
    parts = []
    for i, day in enumerate(days):
        x = i * slot + slot * 0.1
        for offset, value, css in ((0.0, day.processed, "processed"), (bar, day.failed, "failed")):
            height = plot * value / top
            parts.append(render('<rect class="$css" x="$x" y="$y" width="$w" height="$h">'
                                '<title>$tip</title></rect>', css=css, x=f"{x + offset:.1f}",
                                y=f"{plot - height:.1f}", w=f"{bar:.1f}", h=f"{height:.1f}",
                                tip=f"{day.date}: {number(day.processed)} processed, {number(day.failed)} failed"))
    parts.append(render('<line class="axis" x1="0" x2="$w" y1="$y" y2="$y"></line>', w=str(WIDTH), y=str(plot)))
    labels = [(0, days[0].date, "start"), (WIDTH, days[-1].date, "end")]
    parts += [render('<text x="$x" y="$y" text-anchor="$a">$t</text>', x=str(x), y=str(HEIGHT - 4), a=anchor, t=text)
              for x, text, anchor in labels]
    parts.append(render('<text x="4" y="12" class="scale">$t</text>', t=f"max {number(top)}/day"))
    return render('<svg class="chart" viewBox="0 0 $w $h" role="img" aria-label="$label">$parts</svg>',
                  w=str(WIDTH), h=str(HEIGHT), parts=join(parts),
                  label=f"processed and failed per day, {days[0].date} to {days[-1].date}")
