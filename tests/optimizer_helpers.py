"""Shared by the optimizer tests: small tables and sparse gradients."""

import numpy as np
import tensorflow as tf

import keras

V, D = 7, 3


def sparse(values, indices, rows=V):
    values = np.asarray(values, np.float32)
    return tf.IndexedSlices(tf.constant(values), tf.constant(indices, tf.int64),
                            tf.constant([rows] + list(values.shape[1:]), tf.int64))


def summed(values, indices, rows=V):
    """The dense gradient of an IndexedSlices: repeated rows summed."""
    dense = np.zeros((rows,) + np.shape(values)[1:], np.float32)
    np.add.at(dense, np.asarray(indices), np.asarray(values, np.float32))
    return dense


def random_steps(seed, steps=4, rows=V, dim=D):
    """Sparse gradients with repeated indices; rows 5 and 6 never touched."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        indices = rng.integers(0, rows - 2, size=6)
        indices[1] = indices[0]  # always a repeat
        out.append((rng.normal(size=(6, dim)).astype(np.float32), indices))
    return out


def start_table(seed=0, rows=V, dim=D):
    return np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)


def fused(optimizer, on):
    """`optimizer` with its fused kernels on, or with gathers and scatters."""
    optimizer._fused_kernels = on
    return optimizer


def slot(optimizer, name):
    return next(v for v in optimizer.variables if v.name.endswith(name)).numpy()


def embedding_model(rows=50):
    inputs = keras.Input(shape=(4,), dtype="int32")
    x = keras.layers.Embedding(rows, 8)(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x))
    return keras.Model(inputs, outputs)


def embedding_data(rows=50, used=30):
    rng = np.random.default_rng(7)
    return rng.integers(0, used, (64, 4)), rng.normal(size=(64, 1)).astype(np.float32)
