"""Keras 3 layers (TensorFlow backend) over the fused lookup."""

from tf_dynemb.layers.dynamic_embedding import DynamicEmbedding

__all__ = ["DynamicEmbedding"]
