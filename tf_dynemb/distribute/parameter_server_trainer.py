"""ParameterServerTrainer: training a Keras model under ParameterServerStrategy.

Keras 3's `fit` cannot drive `tf.distribute.ParameterServerStrategy` (it asks
for per-worker datasets, and a gradient taken on a Keras variable that holds a
`ShardedVariable` fails for want of a `handle`). This loop does what `fit`
would: per-worker datasets, one scheduled function per step, metrics and
checkpoints, with gradients taken on the shard variables themselves.
"""

import math
import numbers
import time

import keras
import tensorflow as tf

from tf_dynemb import keras_compat
from tf_dynemb.arguments import check_int_argument
from tf_dynemb.distribute import coordinator_state
from tf_dynemb.distribute.checkpoints import CheckpointDirectory, model_checkpoint
from tf_dynemb.tables import sharded_lookup

MAX_STEPS_QUEUED = 100_000
"""Steps `fit` schedules at most before waiting for them (TensorFlow's
coordinator blocks `schedule` without a bound once 262,144 are queued)."""

_WAIT_SLICE_S = 0.5
_STEPS_BETWEEN_WORKER_CHECKS = 1000


class WorkersLostError(RuntimeError):
    """Every worker of the cluster stayed lost for longer than `fit`'s
    `worker_timeout_s`."""


class ParameterServerTrainer:
    """Trains `model` with `optimizer` on a `ParameterServerStrategy` cluster.

    Build the model and create the optimizer (and metrics) under
    `strategy.scope()`; a `variable_partitioner` given to the strategy splits
    large tables row-wise over the parameter servers. A sharded variable is
    trained shard by shard: each shard gets its own `tf.IndexedSlices`
    gradient and its own optimizer slots, created beside it, and the
    optimizer's update runs where the shard lives (the row-sparse
    `tf_dynemb.optimizers` read and write only the rows of the batch).

    Workers run the steps asynchronously, each on its own copy of the
    dataset; the `ClusterCoordinator` reschedules a step whose worker fails
    on another worker and waits for the failed one to come back. When every
    worker is lost, `fit` waits `worker_timeout_s` for one to come back, then
    raises `WorkersLostError` naming them.

    Args:
        model: a built `keras.Model` (built under `strategy.scope()`).
        loss: a Keras loss (name, function or `keras.losses.Loss`), averaged
            over each worker's batch.
        optimizer: a Keras optimizer created under `strategy.scope()`.
        metrics: Keras metrics objects created under `strategy.scope()`,
            updated with `(y, y_pred)` on every step. Defaults to none.
        strategy: the `ParameterServerStrategy`; defaults to the current one.
        checkpoint_dir: where a `tf.train.Checkpoint` of the model and the
            optimizer is written after each epoch, as `ckpt-N` numbered past
            every `ckpt-N` already there (none is overwritten); the latest is
            restored when the trainer is made. An unusable `checkpoint` state
            file restores the newest readable `ckpt-N` instead, with a logged
            warning, or raises ValueError; it never starts from scratch (see
            `CheckpointDirectory`). Defaults to `None`.
        max_steps_in_flight: steps scheduled before waiting for them all;
            `1` runs the steps one after the other (the weights of one device
            when every batch is the same, or with one worker: each worker
            iterates its own copy of the dataset). Defaults to `None` (a whole
            epoch).

    Examples:

    >>> trainer = ParameterServerTrainer(model, "mse", optimizer, strategy=strategy)
    >>> history = trainer.fit(dataset_fn, steps_per_epoch=100, epochs=2)
    """

    def __init__(self, model, loss, optimizer, metrics=(), strategy=None, checkpoint_dir=None,
                 max_steps_in_flight=None):
        self.strategy = strategy or tf.distribute.get_strategy()
        if not isinstance(self.strategy, tf.distribute.experimental.ParameterServerStrategy):
            raise ValueError("ParameterServerTrainer needs a ParameterServerStrategy. "
                             f"Received: strategy={type(self.strategy).__name__}")
        if not model.built:
            raise ValueError(f"Build model '{model.name}' under strategy.scope() first "
                             "(call it once or call build()); it is not built.")
        if max_steps_in_flight is not None:
            max_steps_in_flight = check_int_argument("max_steps_in_flight",
                                                     max_steps_in_flight, 1)
        self.model, self.optimizer = model, optimizer
        self.loss = keras.losses.get(loss)
        if not isinstance(self.loss, keras.losses.Loss):
            self.loss = _FunctionLoss(self.loss)
        self.metrics = list(metrics)
        self.max_steps_in_flight = max_steps_in_flight
        self.coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(self.strategy)
        coordinator_state.check_coordinator(self.coordinator)
        with self.strategy.scope():
            self.loss_tracker = keras.metrics.Mean(name="loss")
        for metric in [self.loss_tracker, *self.metrics]:
            _check_additive(metric)
        with self.strategy.scope():
            self.trained_variables = trained_variables(model)
            optimizer.build(self.trained_variables)
        keras_compat.count_steps_atomically(optimizer)
        self._step = None
        self.checkpoints = None
        if checkpoint_dir is not None:
            self.checkpoints = CheckpointDirectory(model_checkpoint(model, optimizer),
                                                   checkpoint_dir)
            self.checkpoints.restore()

    def _replica_step(self, batch):
        x, y = batch[0], batch[1]
        sample_weight = batch[2] if len(batch) > 2 else None
        with tf.GradientTape() as tape:
            y_pred = self.model(x, training=True)
            loss = self.loss(y, y_pred, sample_weight=sample_weight)
            if self.model.losses:
                loss = loss + tf.add_n(self.model.losses)
        gradients = tape.gradient(loss, [v.value for v in self.trained_variables])
        self.optimizer.apply(gradients, self.trained_variables)
        _add_batch(self.loss_tracker, loss)
        for metric in self.metrics:
            _add_batch(metric, y, y_pred, sample_weight=sample_weight)
        return loss

    def _make_step(self):
        @tf.function
        def step(iterator):
            batch = next(iterator)
            if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
                raise ValueError("The dataset must give (x, y) or (x, y, sample_weight) "
                                 f"batches. Received: {batch!r:.200}")
            return self.strategy.run(self._replica_step, args=(tuple(batch),))
        return step

    def fit(self, dataset_fn, steps_per_epoch, epochs=1, worker_timeout_s=600.0):
        """Trains for `epochs` epochs of `steps_per_epoch` scheduled steps.

        Args:
            dataset_fn: `dataset_fn(input_context)` returns the
                `tf.data.Dataset` of one worker, batched, repeating as long as
                training needs; it runs on each worker.
            steps_per_epoch: int >= 1, steps per epoch over all workers.
            epochs: int >= 1. Defaults to `1`.
            worker_timeout_s: seconds > 0 that every worker may stay lost
                (failed and not back) before `fit` raises `WorkersLostError`;
                while one worker lives, the steps go on there. `None` waits
                for the workers forever, as TensorFlow does. Defaults to
                `600.0`.

        Returns:
            A `keras.callbacks.History`-like dict: metric name -> list of
            per-epoch values (`"loss"` first).

        Raises:
            WorkersLostError: every worker was lost for `worker_timeout_s`.
                The epoch's unfinished steps are dropped and nothing is
                saved; the trainer cannot go on (TensorFlow's coordinator
                still waits for the workers): restart the cluster, and the
                training, which restores the newest checkpoint.
        """
        steps_per_epoch = check_int_argument("steps_per_epoch", steps_per_epoch, 1)
        epochs = check_int_argument("epochs", epochs, 1)
        if worker_timeout_s is not None and (
                isinstance(worker_timeout_s, bool)
                or not isinstance(worker_timeout_s, numbers.Real)
                or not 0 < worker_timeout_s < math.inf):
            raise ValueError("`worker_timeout_s` must be a number of seconds > 0, or None. "
                             f"Received: worker_timeout_s={worker_timeout_s!r:.80}")
        steps_between_waits = min(self.max_steps_in_flight or steps_per_epoch, MAX_STEPS_QUEUED)
        if self._step is None:
            self._step = self._make_step()

        def per_worker_dataset_fn():
            return self.strategy.distribute_datasets_from_function(dataset_fn)

        iterator = iter(self.coordinator.create_per_worker_dataset(per_worker_dataset_fn))
        history = {}
        for _ in range(epochs):
            for tracked in [self.loss_tracker, *self.metrics]:
                tracked.reset_state()
            lost_workers = _LostWorkersClock(self.coordinator, worker_timeout_s)
            for step in range(steps_per_epoch):
                self.coordinator.schedule(self._step, args=(iterator,))
                if (step + 1) % _STEPS_BETWEEN_WORKER_CHECKS == 0:
                    lost_workers.check()
                if (step + 1) % steps_between_waits == 0:
                    self._join(lost_workers)
            self._join(lost_workers)
            for tracked in [self.loss_tracker, *self.metrics]:
                history.setdefault(tracked.name, []).append(float(tracked.result()))
            if self.checkpoints is not None:
                self.checkpoints.save()
        return history

    def _join(self, lost_workers):
        """`coordinator.join()`, checking `lost_workers` while it waits."""
        if lost_workers.timeout_s is None:
            self.coordinator.join()
            return
        while not coordinator_state.wait_for_steps(self.coordinator, _WAIT_SLICE_S):
            lost_workers.check()


class _LostWorkersClock:
    """Raises WorkersLostError once every worker has been lost for
    `timeout_s` seconds in a row (never when `timeout_s` is None)."""

    def __init__(self, coordinator, timeout_s):
        self.coordinator, self.timeout_s = coordinator, timeout_s
        self.all_lost_since = None

    def check(self):
        if self.timeout_s is None:
            return
        lost = coordinator_state.lost_workers(self.coordinator)
        if len(lost) < coordinator_state.num_workers(self.coordinator):
            self.all_lost_since = None
            return
        self.all_lost_since = self.all_lost_since or time.monotonic()
        if time.monotonic() - self.all_lost_since < self.timeout_s:
            return
        causes = "; ".join(f"{device}: {type(error).__name__}: "
                           f"{(str(error).strip().splitlines() or [''])[0]:.200}"
                           for device, error in sorted(lost.items()))
        raise WorkersLostError(
            f"All {len(lost)} workers of the cluster have been lost for {self.timeout_s:g} s "
            f"(fit's worker_timeout_s): {causes}. The epoch's unfinished steps are dropped; "
            "restart the workers and the training, which restores the newest checkpoint.")


def _check_additive(metric):
    """Metrics are summed over steps (see `_add_batch`): their state must
    start at zero, as sums and counts do."""
    metric.reset_state()
    for variable in metric.variables:
        if keras.ops.any(keras.ops.not_equal(variable, 0)):
            raise ValueError(
                f"Metric '{metric.name}' starts with a non-zero state ({variable.path}); "
                "ParameterServerTrainer supports metrics whose state is a sum over batches "
                "(means, sums, accuracies, AUC counts...).")


def _add_batch(metric, *args, **kwargs):
    """`metric.update_state(*args)`, with the batch's share added to the
    metric's variables by one atomic `assign_add` each: a Keras variable's own
    `assign_add` reads then writes, and workers running steps at once would
    lose each other's updates."""
    zeros = [tf.zeros(v.shape, v.dtype) for v in metric.variables]
    updated = metric.stateless_update_state(zeros, *args, **kwargs)
    for variable, value in zip(metric.variables, updated):
        variable.value.assign_add(value)


class _FunctionLoss(keras.losses.Loss):
    """A loss function as a `keras.losses.Loss` (sample weights, reduction)."""

    def __init__(self, fn):
        super().__init__(name=getattr(fn, "__name__", "loss"))
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


def trained_variables(model):
    """The variables the optimizer updates: `model.trainable_variables`, with
    a sharded one replaced by one Keras variable per shard."""
    result = []
    for variable in model.trainable_variables:
        if not sharded_lookup.is_sharded(variable):
            result.append(variable)
            continue
        constraint = getattr(variable, "constraint", None)
        if constraint is not None and not _is_row_local(constraint):
            raise ValueError(
                f"Variable '{variable.name}' is sharded by rows, and its constraint "
                f"{constraint!r} is not applied row by row, so it cannot be applied to "
                "each shard alone. Use a row-wise constraint (MaxNorm, UnitNorm, "
                "MinMaxNorm with axis=1, NonNeg) or no partitioner.")
        for i, shard in enumerate(sharded_lookup.shards_of(variable)):
            part = keras.Variable(shard, name=f"{variable.name}_part_{i}", dtype=variable.dtype)
            part.constraint = constraint  # keras.Variable takes no constraint argument
            result.append(part)
    return result


def _is_row_local(constraint):
    """Whether `constraint` maps each row of a 2-D variable on its own."""
    if isinstance(constraint, keras.constraints.NonNeg):
        return True
    norms = (keras.constraints.MaxNorm, keras.constraints.UnitNorm, keras.constraints.MinMaxNorm)
    return isinstance(constraint, norms) and constraint.axis in (1, -1)
