"""The facades: the classes users hold (`Registry`, `Project`, `ScanAll`, `Plan`...).

`_async/` is hand-written and holds the one definition of every public method; `_sync/` is
generated from it by `scripts/unasync.py` (do not edit it). `_settings.py` and `_runners.py`
are the hand-written plumbing under both: client settings, and the two runners that own the
httpx clients. See docs/architecture.md.
"""
