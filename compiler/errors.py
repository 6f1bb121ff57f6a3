"""The compiler's error: a program that cannot become weights."""
from __future__ import annotations

from raspc.errors import RaspcError


class CompileError(RaspcError):
    """A program cannot be compiled (unsupported construct, size bound exceeded)."""
