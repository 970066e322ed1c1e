"""export_model: a whole trained Keras model as a TF Serving version, in
either flavor, checked against the model before it is published."""

import os

import keras
import numpy as np
import tensorflow as tf

from tf_dynemb.contract import OP_PREFIX
from tf_dynemb.distribute.unsharded_copy import has_sharded_variables, unsharded_copy
from tf_dynemb.flavors import check_flavor, lookup_path
from tf_dynemb.layers import dynamic_embeddings
from tf_dynemb.serving.folding import folds
from tf_dynemb.serving.versions import write_version
from tf_dynemb.serving.warmup import write_export_info, write_warmup

# The exported model must reproduce the model's own outputs on the warmup
# batch within this tolerance, or nothing is published. (The tests hold both
# flavors to 1e-6 on adversarial inputs; this guards against gross loss.)
_SELF_CHECK_TOLERANCE = 1e-5
# Words of a vocabulary-made warmup batch: a few whole words, then words that
# are split or bucketed, and padding.
_WARMUP_EXTRA_WORDS = ["tokenizationally", "qzxvq", ""]


def export_model(model, output_dir, flavor="portable", version=None, warmup_inputs=None):
    """Exports a whole Keras model that holds tf_dynemb layers for TF Serving.

    Its `serving_default` signature takes the model's inputs (names, shapes
    and dtypes, strings staying strings) and returns its outputs. With
    `flavor="portable"` every tf_dynemb layer runs its stock-op reference
    (core TF and TF Text ops: the stock tensorflow_model_server); with
    `"fused"` the custom op (a server linked with //ops:ops_lib), whatever
    each layer's own `use_custom_op`: the model is never changed. Before the
    version is published, the written SavedModel is loaded back and must
    reproduce `model`'s outputs on the warmup batch, and a portable export
    must hold no tf_dynemb op; otherwise nothing is written and an error
    names what differs. A model whose tables are sharded (trained under
    `ParameterServerStrategy`) is exported from an unsharded local copy
    (`tf_dynemb.distribute.unsharded_copy`): each table is one variable of
    the SavedModel, never a constant, so tables over 2 GB export; call it
    outside `strategy.scope()`, on the chief. Layers that compose words are
    exported folded (`tf_dynemb.serving.folding`): each vocabulary word's
    composed vector is its row, read alone.

    Args:
        model: a built `keras.Model` (functional, Sequential, or subclassed
            and called once).
        output_dir: TF Serving's model base path; the version is a numbered
            directory inside it.
        flavor: `"portable"` or `"fused"`. Defaults to `"portable"`.
        version: int >= 1; defaults to the next free version.
        warmup_inputs: the batch written as TF Serving's warmup request and
            used for the check: an array (one input) or a dict by input name.
            Defaults to words of the first tf_dynemb layer's vocabulary.

    Returns:
        The path of the version directory written.
    """
    check_flavor(flavor)
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model. Received: {type(model).__name__}")
    # A model trained with sharded tables (ParameterServerStrategy) is served
    # from a local unsharded copy: each table one variable of the SavedModel.
    embeddings = dynamic_embeddings(model)
    for layer in embeddings:
        try:
            layer.vocabulary_model  # noqa: B018 (raises if its vocabularies are missing)
        except ValueError as e:
            raise ValueError(f"Cannot export layer '{layer.name}': {e}") from None
    served = unsharded_copy(model) if has_sharded_variables(model) else model
    # Composed vocabulary words are served from one row each.
    served_folds = folds(dynamic_embeddings(served))

    def fill(staging):
        # The layers read the flavor when they are traced; none is changed.
        with lookup_path(flavor, folded=served_folds):
            served.export(staging, format="tf_saved_model", verbose=False)
        if flavor == "portable":
            _check_no_custom_ops(staging)
        signature = tf.saved_model.load(staging).signatures["serving_default"]
        specs = signature.structured_input_signature[1]
        batch = _warmup_batch(specs, warmup_inputs, embeddings)
        _check_reproduces(model, signature, specs, batch)
        write_warmup(staging, [("serving_default", batch)])
        write_export_info(staging, flavor=flavor, contents="model",
                          inputs={name: spec.dtype.name for name, spec in specs.items()},
                          outputs=sorted(signature.structured_outputs))

    return write_version(output_dir, version, fill)


def _check_no_custom_ops(export_dir):
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(export_dir, "saved_model.pb"), "rb") as f:
        saved.ParseFromString(f.read())
    for meta_graph in saved.meta_graphs:
        graph = meta_graph.graph_def
        nodes = [(None, node) for node in graph.node]
        nodes += [(f.signature.name, node) for f in graph.library.function for node in f.node_def]
        for function, node in nodes:
            if node.op.startswith(OP_PREFIX):
                where = f" in function {function}" if function else ""
                raise ValueError(
                    f"The portable export holds the tf_dynemb op {node.op} (node "
                    f"'{node.name}'{where}); the stock tensorflow_model_server cannot run it. "
                    "A layer calls tf_dynemb's ops directly instead of through a tf_dynemb "
                    "layer; export with flavor='fused'.")


def _warmup_batch(specs, warmup_inputs, embeddings):
    """A batch for the signature's inputs, as numpy arrays by input name."""
    if warmup_inputs is not None:
        if not isinstance(warmup_inputs, dict):
            if len(specs) != 1:
                raise ValueError(f"The model has inputs {sorted(specs)}: pass `warmup_inputs` "
                                 "as a dict by input name.")
            warmup_inputs = {next(iter(specs)): warmup_inputs}
        if sorted(warmup_inputs) != sorted(specs):
            raise ValueError(f"`warmup_inputs` must have the model's inputs {sorted(specs)}. "
                             f"Received: {sorted(warmup_inputs)}")
        return {name: tf.convert_to_tensor(value, specs[name].dtype).numpy()
                for name, value in warmup_inputs.items()}
    words = []
    if embeddings:
        words = embeddings[0].get_vocabulary()[:5] or embeddings[0].get_wordpiece_vocabulary()[:5]
    words = words + _WARMUP_EXTRA_WORDS
    batch = {}
    for name, spec in specs.items():
        shape = [len(words) if d is None else d for d in spec.shape.as_list()] or []
        if not shape:
            raise ValueError(f"Input '{name}' is a scalar; pass `warmup_inputs`.")
        size = int(np.prod(shape))
        if spec.dtype == tf.string:
            values = np.array([words[i % len(words)].encode() for i in range(size)], dtype=object)
        else:
            values = np.zeros(size, spec.dtype.as_numpy_dtype)
        batch[name] = values.reshape(shape)
    return batch


def _check_reproduces(model, signature, specs, batch):
    """The export's outputs on `batch` equal the model's own."""
    tensors = {name: tf.constant(value, specs[name].dtype) for name, value in batch.items()}
    served = signature(**tensors)
    expected = model(next(iter(tensors.values())) if len(tensors) == 1 else tensors,
                     training=False)
    if isinstance(expected, dict):
        pairs = [(name, served.get(name), expected[name]) for name in expected]
    else:
        # Keras names unnamed outputs output_0, output_1, ... in output order.
        pairs = [(f"output_{i}", served.get(f"output_{i}"), value)
                 for i, value in enumerate(tf.nest.flatten(expected))]
    for name, have, want in pairs:
        if have is None:
            raise ValueError(f"The exported model has no output '{name}'; it has "
                             f"{sorted(served)}. Nothing was written.")
        have, want = np.asarray(have), np.asarray(keras.ops.convert_to_numpy(want))
        if have.shape != want.shape or not np.allclose(have, want, rtol=_SELF_CHECK_TOLERANCE,
                                                       atol=_SELF_CHECK_TOLERANCE):
            worst = (np.max(np.abs(have.astype(np.float64) - want)) if have.shape == want.shape
                     else f"shape {have.shape} against {want.shape}")
            raise ValueError(
                f"The exported model does not reproduce the model's output '{name}' on the "
                f"warmup batch (largest difference: {worst}); nothing was written.")
