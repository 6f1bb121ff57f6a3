"""Training: a transformer of a compiled model's shape, fitted by gradient descent.

``shape`` (the trainable shape and its starting weights), ``data`` (labelled,
disjoint sets), ``loss`` (what is minimised and how a model is scored),
``loop`` (optax AdamW, warm-up and cosine decay, early stop, data-parallel over
devices), ``checkpoint`` (resumable state) and ``fit`` (one run, start to trained
``Model``). Nothing here reads a program: labels arrive as values.
"""
