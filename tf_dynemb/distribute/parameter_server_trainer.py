"""ParameterServerTrainer: training a Keras model under ParameterServerStrategy.

Keras 3's `fit` cannot drive `tf.distribute.ParameterServerStrategy` (it asks
for per-worker datasets, and a gradient taken on a Keras variable that holds a
`ShardedVariable` fails for want of a `handle`). This loop does what `fit`
would: per-worker datasets, one scheduled function per step, metrics and
checkpoints, with gradients taken on the shard variables themselves.
"""

import keras
import tensorflow as tf

from tf_dynemb import keras_compat
from tf_dynemb.arguments import check_int_argument
from tf_dynemb.tables import sharded_lookup
from tf_dynemb.distribute.checkpoints import model_checkpoint


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
    and waits for the worker to come back.

    Args:
        model: a built `keras.Model` (built under `strategy.scope()`).
        loss: a Keras loss (name, function or `keras.losses.Loss`), averaged
            over each worker's batch.
        optimizer: a Keras optimizer created under `strategy.scope()`.
        metrics: Keras metrics objects created under `strategy.scope()`,
            updated with `(y, y_pred)` on every step. Defaults to none.
        strategy: the `ParameterServerStrategy`; defaults to the current one.
        checkpoint_dir: where a `tf.train.Checkpoint` of the model and the
            optimizer is written after each epoch; the newest one found there
            is restored when the trainer is made. Defaults to `None`.
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
        with self.strategy.scope():
            self.loss_tracker = keras.metrics.Mean(name="loss")
        for metric in [self.loss_tracker, *self.metrics]:
            _check_additive(metric)
        with self.strategy.scope():
            self.trained_variables = trained_variables(model)
            optimizer.build(self.trained_variables)
        keras_compat.count_steps_atomically(optimizer)
        self._step = None
        self.checkpoint_manager = None
        if checkpoint_dir is not None:
            checkpoint = model_checkpoint(model, optimizer)
            self.checkpoint_manager = tf.train.CheckpointManager(checkpoint, checkpoint_dir, 3)
            checkpoint.restore(self.checkpoint_manager.latest_checkpoint)

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

    def fit(self, dataset_fn, steps_per_epoch, epochs=1):
        """Trains for `epochs` epochs of `steps_per_epoch` scheduled steps.

        Args:
            dataset_fn: `dataset_fn(input_context)` returns the
                `tf.data.Dataset` of one worker, batched, repeating as long as
                training needs; it runs on each worker.
            steps_per_epoch: int >= 1, steps per epoch over all workers.
            epochs: int >= 1. Defaults to `1`.

        Returns:
            A `keras.callbacks.History`-like dict: metric name -> list of
            per-epoch values (`"loss"` first).
        """
        steps_per_epoch = check_int_argument("steps_per_epoch", steps_per_epoch, 1)
        epochs = check_int_argument("epochs", epochs, 1)
        if self._step is None:
            self._step = self._make_step()

        def per_worker_dataset_fn():
            return self.strategy.distribute_datasets_from_function(dataset_fn)

        iterator = iter(self.coordinator.create_per_worker_dataset(per_worker_dataset_fn))
        history = {}
        for _ in range(epochs):
            for tracked in [self.loss_tracker, *self.metrics]:
                tracked.reset_state()
            for step in range(steps_per_epoch):
                self.coordinator.schedule(self._step, args=(iterator,))
                if self.max_steps_in_flight and (step + 1) % self.max_steps_in_flight == 0:
                    self.coordinator.join()
            self.coordinator.join()
            for tracked in [self.loss_tracker, *self.metrics]:
                history.setdefault(tracked.name, []).append(float(tracked.result()))
            if self.checkpoint_manager is not None:
                self.checkpoint_manager.save()
        return history


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
