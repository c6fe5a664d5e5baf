"""The two models the tutorials teach, and their trained weights.

- ``networks``: ``SoftmaxRegression`` and ``MLP`` (and their input contract).
- ``deskew``: the slant correction a model applies to what it reads.
- ``checkpoints``: weights on disk (safetensors and a metrics JSON), ``load_model``.
- ``explain``: templates, contributions, occlusion and activations, for teaching.
"""

from mnist_models.models.checkpoints import MODEL_NAMES, WeightsError, build_model, load_metrics, load_model
from mnist_models.models.networks import MLP, SoftmaxRegression

__all__ = ["MLP", "MODEL_NAMES", "SoftmaxRegression", "WeightsError", "build_model", "load_metrics", "load_model"]
