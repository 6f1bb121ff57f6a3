"""Errors are values with positions: the base every raspc error derives from.

Every mistake a user can make is raised as a ``RaspcError`` (or a subclass) at the
boundary where it is found, and printed once by the CLI, with exit status 2 and no
traceback. A ``SourceLocation`` lets the message name ``file:line:col`` and point a
caret at the column.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """A place in a source file: 1-based line and column."""

    file: str
    line: int
    column: int
    source_line: str = ""

    def prefix(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class RaspcError(Exception):
    """Base of every user-facing error: a message and, where known, a place."""

    def __init__(self, message: str, location: SourceLocation | None = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def with_location(self, location: SourceLocation | None) -> "RaspcError":
        """Attach a place to an error found deeper down, unless it has one."""
        if self.location is None and location is not None:
            self.location = location
        return self

    def format(self) -> str:
        """The message as the CLI prints it: one line, then the source line and a caret."""
        if self.location is None:
            return f"error: {self.message}"
        head = f"{self.location.prefix()}: error: {self.message}"
        if not self.location.source_line:
            return head
        line = self.location.source_line.rstrip("\n")
        caret = " " * (max(self.location.column, 1) - 1) + "^"
        return f"{head}\n    {line}\n    {caret}"

    def __str__(self) -> str:
        return self.format()


class InputError(RaspcError):
    """An input is outside the vocabulary, too long, empty or malformed."""
