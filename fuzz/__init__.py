"""Fuzzing raspc: random programs checked against the reference interpreter, and
random text fed to the front end (``raspc fuzz``, ``make fuzz``, ``tests/fuzz``).

Programs: ``generator`` (with ``abstract``, the value sets that keep them well
typed). One program checked: ``inputs`` (which inputs), ``runners`` (the dense and the
packed forward pass), ``check``. Many: ``differential`` (runs, reports, shrinking with
``shrink``), ``findings`` (where they are saved), ``parallel``. The front end:
``mutate`` and ``frontend``.
"""
