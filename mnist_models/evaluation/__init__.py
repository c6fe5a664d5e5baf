"""How good the models are, on data they were not trained on.

- ``__main__``: the command that measures the shipped weights (``python -m mnist_models.evaluation``).
- ``metrics``: accuracy on MNIST, on pen digits and on redrawn MNIST; the verdict fit and measured.
- ``contact_sheets``: pictures of the misses, of non-digits taken for digits, and of deskewing.
- ``verdict``: calibration (a temperature) and the "not a digit" threshold.
- ``predictions``: every model's answer to every MNIST test digit, for browsing mistakes.
"""
