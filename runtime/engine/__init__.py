"""The engine: the forward passes that run a model, and what they share.

* ``forward``: ``Runner``, what a user runs; it picks the pass (``chosen_pass``).
* ``dense``: the dense pass, the architecture as one readable function of
  (params, token_ids); trained models and the lens run it.
* ``packed``: ``pack`` (the nonzero blocks of a compiled model's matrices) and the
  packed pass over them, batch-major; ``packed_minor``: the same pass with the
  batch as the minor axis, for short sequences; ``packed_index``, ``segments`` and
  ``mlp_tiles``: its index, its residual in column segments, its MLP's tiles.
* ``batching``: encoding inputs, padding, buckets, slices and shards, shared by
  every pass and the Runner.
"""
