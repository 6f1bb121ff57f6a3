"""Graph passes: from a staged program to one the constructions build cheaply.

``pipeline`` runs them in order (``lower``) and hands the back end a ``Lowered``
program. Each pass has a module of its own, named after it; ``graph`` is what
they read and return, ``rewriting`` rebuilds a graph around replaced nodes,
``expansion`` sees a chain of maps as one function, ``select_slots`` holds what
the selector passes share, and ``nodes`` the node types lowering introduces
(width scratches and decodings, joint predicates), which the back end builds.
"""
