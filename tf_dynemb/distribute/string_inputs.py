"""`model.fit` on raw strings under tf.distribute strategies: one explicit call."""

import threading

from tf_dynemb.distribute import first_batch_build, multi_worker_logs

_LOCK = threading.Lock()


def enable_string_inputs():
    """Lets `model.fit` / `evaluate` train on raw strings under
    `tf.distribute.MirroredStrategy` and `MultiWorkerMirroredStrategy`.

    Call it once, before `fit`. It works around two faults of Keras 3's
    TensorFlow trainer (3.15, checked 2026-11), each only if the installed
    Keras has it:

    - Before the first step Keras builds the model from the first batch
      averaged across replicas (`strategy.reduce("MEAN", batch)`), which
      fails on strings (`AddN` on strings) and, under
      `MultiWorkerMirroredStrategy`, on any input. The build reads only
      shapes and dtypes: it is given the first replica's part instead.
    - Under `MultiWorkerMirroredStrategy` Keras averages each step's scalar
      logs with `axis=0`, which fails for every model. Scalars are averaged
      across replicas with `axis=None`.

    Training itself (gradients, their all-reduce, the updates) is untouched.
    The call is idempotent and thread-safe, and changes nothing on a Keras
    without these faults (each is detected by calling Keras's own code with
    stand-ins). Nothing is patched at import.

    Returns:
        True when a workaround is in place (now or from an earlier call),
        False when this Keras needs none.
    """
    with _LOCK:
        built = first_batch_build.install()
        logged = multi_worker_logs.install()
        return built or logged
