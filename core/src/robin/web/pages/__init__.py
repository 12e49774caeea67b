"""Core's pages of the dashboard, registered through the same seam plug-ins use."""

from __future__ import annotations

from robin.web.pages import busy, dashboard, jobsets, metrics, queues
from robin.web.registry import register_page


def register() -> None:
    register_page("/", "Dashboard", dashboard.render_page, order=10)
    register_page("/busy", "Busy", busy.render_page, actions=busy.ACTIONS, order=20)
    register_page("/queues", "Queues", queues.render_page, actions=queues.ACTIONS, order=30)
    for order, pages in enumerate(jobsets.SETS, start=4):
        register_page(pages.path, pages.title, pages.render, actions=pages.actions(), order=order * 10)
    register_page("/metrics", "Metrics", metrics.render_page, order=70)
