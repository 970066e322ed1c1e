"""Keras 3 optimizers (TensorFlow backend) whose sparse updates touch only the
rows in the batch: a step costs the same at any table size."""

from tf_dynemb.optimizers.lazy_adam import LazyAdam
from tf_dynemb.optimizers.rowwise_adagrad import RowwiseAdagrad
from tf_dynemb.optimizers.sparse_loss_scale_optimizer import SparseLossScaleOptimizer

__all__ = ["LazyAdam", "RowwiseAdagrad", "SparseLossScaleOptimizer"]
