"""The MNIST digit models and everything around them, as a plain library (no Gradio):

- ``reading``: a picture (the pad's drawing, an uploaded image, a photo of paper) read by the
  models: bounded decoding, MNIST-style preprocessing, the classifier and its verdict.
- ``models``: the softmax regression and the MLP, their deskewing, their weights on disk, and
  looking inside them.
- ``datasets``: MNIST, the pen-drawn digits, Omniglot's characters, generated non-digits and
  drawn digits.
- ``training``: the shipped models' training command, the loop they share with live training and
  fine-tuning, augmentation, and the NumPy softmax derived by hand.
- ``evaluation``: accuracy, calibration and "not a digit" on the data sets.
- ``classes``: the class wall's drawings.
- ``device`` (where work runs), ``pad`` (the drawing pad's pen), ``pictures`` (figures for people).
"""
