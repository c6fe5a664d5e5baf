"""The data the models are trained and measured on; none of it is shipped with the code.

- ``mnist``: the MNIST files (torchvision's download, or a folder you name).
- ``pendigits``: the UCI pen-drawn digits, drawn on the pad as a person would.
- ``omniglot``: Omniglot's characters, drawn the same way: what is not a digit.
- ``nondigits``: generated shapes, letters and scribbles: not digits either.
- ``drawings``: digits drawn from templates, and MNIST redrawn with the pad's pen.
"""
