"""How good the models are, on data they were not trained on.

- ``evaluate``: the command (``python -m mnist_models.evaluation.evaluate``) and its metrics.
- ``verdict``: calibration (a temperature) and the "not a digit" threshold.
- ``predictions``: every model's answer to every MNIST test digit, for browsing mistakes.
"""
