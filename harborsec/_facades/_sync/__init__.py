# Generated from harborsec/_facades/_async/__init__.py by scripts/unasync.py; do not edit.
"""The facades, one module per concept (registry, project, allowlists, immutability...).

`harborsec/_facades/_async/` is hand-written: the one definition of every facade method.
`harborsec/_facades/_sync/` is generated from it by `scripts/unasync.py`.
"""
