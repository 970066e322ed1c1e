"""The tf_dynemb layers inside a Keras model."""

from tf_dynemb.keras_compat import flatten_layers
from tf_dynemb.layers.dynamic_embedding import DynamicEmbedding


def dynamic_embeddings(model):
    """The `DynamicEmbedding` layers of `model` (a Keras model or layer),
    nested ones included (those of a `TextEmbedding` or `HybridEmbedding`),
    each once, in Keras's layer order."""
    return [layer for layer in flatten_layers(model) if isinstance(layer, DynamicEmbedding)]
