"""Staging's parts, one job each; ``rasp.stage`` is the entry point.

``limits``: the bounds a staging runs under, and the guards that check meta-level
arithmetic against them. ``records``: what staging returns (``StagedFile``,
``Display``). ``builders``: the s-op and selector nodes staging makes, and their
names. ``expressions``: expressions evaluated at the meta level. ``files``: the files
a program reads (``load``, ``@table``). ``statements``: the statement walker
(``Stager``), which ties them together.
"""
