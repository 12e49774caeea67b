"""A customer's application, as the end-to-end test installs it next to Robin's wheels.

It is copied out of the repository before use, so that only the installed wheels serve
``import robin``.
"""
