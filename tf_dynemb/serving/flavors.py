"""The two flavors of every export.

- `fused`: the custom op; needs TensorFlow with tf_dynemb's op library (a
  tensorflow_model_server linked with //ops:ops_lib).
- `portable`: the stock-op reference, core TF and TF Text ops only, which the
  stock tensorflow_model_server runs.

Both give the same outputs.
"""

FLAVORS = ("portable", "fused")


def check_flavor(flavor):
    if flavor not in FLAVORS:
        raise ValueError(f"`flavor` must be one of {FLAVORS}. Received: flavor={flavor!r}")
    return flavor
