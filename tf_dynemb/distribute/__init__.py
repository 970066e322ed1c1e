"""Training on raw strings with tf.distribute strategies."""

from tf_dynemb.distribute.checkpoints import CheckpointDirectory, model_checkpoint
from tf_dynemb.distribute.first_batch_build import keras_reduces_first_batch
from tf_dynemb.distribute.loopback_cluster import start_loopback_cluster
from tf_dynemb.distribute.multi_worker_logs import keras_reduces_scalar_logs_along_axis0
from tf_dynemb.distribute.parameter_server_trainer import ParameterServerTrainer, WorkersLostError
from tf_dynemb.distribute.string_inputs import enable_string_inputs
from tf_dynemb.distribute.unsharded_copy import has_sharded_variables, unsharded_copy

__all__ = [
    "CheckpointDirectory",
    "ParameterServerTrainer",
    "WorkersLostError",
    "enable_string_inputs",
    "has_sharded_variables",
    "keras_reduces_first_batch",
    "keras_reduces_scalar_logs_along_axis0",
    "model_checkpoint",
    "start_loopback_cluster",
    "unsharded_copy",
]
