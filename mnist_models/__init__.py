"""MNIST softmax regression and MLP: data, models, preprocessing, training, evaluation."""
