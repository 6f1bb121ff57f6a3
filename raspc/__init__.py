"""What every raspc package shares: the version and the base of user-facing errors.

The language (``rasp``), the compiler (``compiler``) and the runtime (``runtime``)
each raise their own errors; all derive from ``raspc.errors.RaspcError`` so the
command line can print any of them the same way, and none of the three packages
has to import another for it.
"""
__version__ = "0.1.0"
