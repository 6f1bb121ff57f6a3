"""The runtime's error: a model file that cannot be read or written."""
from __future__ import annotations

from raspc.errors import RaspcError


class ModelFileError(RaspcError):
    """A model file is missing, damaged, or not one of ours."""
