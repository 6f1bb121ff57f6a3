"""Comparison: how a trained model relates to the program's compiled one.

``attention`` (head matching), ``probes`` (linear probes for the program's
variables), ``interventions`` (interchange-intervention accuracy), ``similarity``
(linear CKA), ``comparison`` (all of them on one set of inputs) and ``render``
(terminal table and HTML page). The language side (inputs, interpreter values,
counterfactual outputs) arrives as plain values in an ``Evidence``.
"""
