"""Keras 3 layers (TensorFlow backend) over the fused lookup."""

from tf_dynemb.layers.char_cnn_encoder import CharCNNEncoder
from tf_dynemb.layers.dynamic_embedding import DynamicEmbedding
from tf_dynemb.layers.hybrid_embedding import HybridEmbedding
from tf_dynemb.layers.model_layers import dynamic_embeddings
from tf_dynemb.layers.text_embedding import TextEmbedding
from tf_dynemb.text import basic_tokenize

__all__ = ["CharCNNEncoder", "DynamicEmbedding", "HybridEmbedding", "TextEmbedding",
           "basic_tokenize", "dynamic_embeddings"]
