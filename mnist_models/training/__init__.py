"""Training the models.

- ``__main__``: the command that trains the shipped models (``python -m mnist_models.training``).
- ``recipes``: the shipped models' recipes (``Recipe``, ``RECIPES``) and the MLP's layer sizes.
- ``loop``: the loss, the optimiser and ``train_steps``, the loop every training shares.
- ``training_data``: MNIST, pen digits and non-digits in one training set, and its record.
- ``shipped``: a new model trained with a recipe and measured as the shipped ones are.
- ``augment``: random affine, elastic and stroke-width changes.
- ``live``: a fresh model trained in front of a class, yielding what it looks like as it learns.
- ``fine_tuning``: a copy of a shipped model nudged on the class wall's drawings.
- ``numpy_softmax``: the softmax regression with its gradient derived by hand.
"""
