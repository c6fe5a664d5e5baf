"""Training the models.

- ``train``: the shipped models' recipes and their command (``python -m mnist_models.training.train``).
- ``augment``: random affine, elastic and stroke-width changes.
- ``live``: a fresh model trained in front of a class, yielding what it looks like as it learns.
- ``fine_tuning``: a copy of a shipped model nudged on the class wall's drawings.
- ``numpy_softmax``: the softmax regression with its gradient derived by hand.
"""
