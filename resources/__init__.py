"""Bundled, read-only resources (model files, icon, sample drawing).

Installed as the package ``digitpad.resources``; reach the files through
``digitpad.paths`` (``importlib.resources``), never by building paths from ``__file__``.
Nothing at run time writes here.
"""
