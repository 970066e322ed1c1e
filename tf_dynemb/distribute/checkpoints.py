"""Checkpoints of models whose tables are sharded, restorable into any sharding.

`tf.train.Checkpoint(model=model)` cannot save a Keras 3 variable that holds a
`ShardedVariable` (Keras hands TensorFlow's saver the sharded container as if
it were a tensor). `model_checkpoint` tracks such a variable's
`ShardedVariable` itself, which TensorFlow saves as slices of one full-shape
tensor: a checkpoint written with 2 shards restores into 3 shards, into 1
(an unsharded model, to be saved as `.keras`), or back into 2.

`CheckpointDirectory` keeps the numbered checkpoints of a training run
without trusting what is on disk: see its docstring.
"""

import logging
import os

import tensorflow as tf

from tf_dynemb.numbered_names import next_number, plain_number
from tf_dynemb.tables import sharded_lookup

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "ckpt"
STATE_FILE = "checkpoint"


def model_checkpoint(model, optimizer=None, **trackables):
    """A `tf.train.Checkpoint` of `model`'s weights, in `model.weights` order.

    Args:
        model: a built `keras.Model`, its tables sharded or not.
        optimizer: optionally, its optimizer. Its slots follow the sharding
            they were made for (one per shard): restore them into a model
            sharded the same way; elsewhere, restore without the optimizer.
        **trackables: anything else to save, by name (a step counter...).

    Returns:
        A `tf.train.Checkpoint`; restore with `.restore(path)` on a model of
        the same architecture built (under any strategy) beforehand. With a
        checkpoint that holds more than the restoring one tracks (such as an
        optimizer), add `.expect_partial()`.
    """
    if not model.built:
        raise ValueError(f"Build model '{model.name}' before making its checkpoint.")
    weights = [v.value if sharded_lookup.is_sharded(v) else v for v in model.weights]
    if optimizer is not None:
        trackables["optimizer"] = optimizer
    return tf.train.Checkpoint(weights=weights, **trackables)


class CheckpointDirectory:
    """The checkpoints `ckpt-N` of `checkpoint` in `directory`, with the text
    state file `checkpoint` that `tf.train.CheckpointManager` writes (and
    reads), but without trusting what is on disk:

    - `restore()` restores the checkpoint the state file names. A state file
      that cannot be parsed, names no checkpoint, names a path that is not a
      `ckpt-N` of `directory` or a checkpoint that is missing (or is missing
      while `ckpt-N.index` files are there) is never a fresh start: the
      newest readable `ckpt-N.index` on disk is restored instead, with a
      logged warning naming the state file and the checkpoint used; with
      none readable, ValueError.
    - `save()` numbers the new checkpoint one past the highest `ckpt-N` file
      on disk, so it never overwrites one, and keeps the newest
      `max_to_keep` of those it saved or a valid state file listed; others
      are never deleted.

    N is a plain ASCII decimal within int64; other `ckpt-*` names are
    ignored with a warning.
    """

    def __init__(self, checkpoint, directory, max_to_keep=3):
        self.checkpoint, self.directory = checkpoint, os.fspath(directory)
        self.max_to_keep = max_to_keep
        self.state_path = os.path.join(self.directory, STATE_FILE)
        self.latest_checkpoint = None
        self._kept = []

    def _prefix(self, number):
        return os.path.join(self.directory, f"{CHECKPOINT_NAME}-{number}")

    def _numbers_on_disk(self, suffix=""):
        """Numbers N of the files `ckpt-N.<suffix>...` in the directory."""
        if not tf.io.gfile.isdir(self.directory):
            return []
        numbers = set()
        for name in tf.io.gfile.listdir(self.directory):
            stem, dot, rest = name.partition(".")
            if not (stem.startswith(CHECKPOINT_NAME + "-") and dot and rest.startswith(suffix)):
                continue
            try:
                numbers.add(plain_number(stem[len(CHECKPOINT_NAME) + 1:]))
            except ValueError as e:
                logger.warning("Ignoring %s: not a checkpoint (%s).",
                               os.path.join(self.directory, name), e)
        return sorted(numbers)

    def _number_of(self, path):
        """N of a state file's path; ValueError unless it is `ckpt-N` of the directory."""
        name = os.path.basename(path)
        if (os.path.normpath(os.path.dirname(path)) != os.path.normpath(self.directory)
                or not name.startswith(CHECKPOINT_NAME + "-")):
            raise ValueError(f"it names {path!r}, which is not a {CHECKPOINT_NAME}-N "
                             "checkpoint of this directory")
        return plain_number(name[len(CHECKPOINT_NAME) + 1:])

    def _read_state(self):
        """(latest number, listed numbers) of the state file; (None, []) when
        there is none; ValueError saying what is wrong with it."""
        if not tf.io.gfile.exists(self.state_path):
            return None, []
        try:
            state = tf.train.get_checkpoint_state(self.directory)
        except ValueError as e:  # no checkpoint named, or not UTF-8
            raise ValueError(f"it is not a checkpoint state ({e})") from None
        if state is None:
            raise ValueError("it cannot be parsed as a checkpoint state")
        latest = self._number_of(state.model_checkpoint_path)
        listed = [self._number_of(p) for p in state.all_model_checkpoint_paths]
        if not tf.io.gfile.exists(self._prefix(latest) + ".index"):
            raise ValueError(f"it names {self._prefix(latest)}, which is not on disk")
        return latest, [n for n in listed if n != latest] + [latest]

    def restore(self):
        """Restores the latest checkpoint (see the class); returns its path,
        or None when the directory holds neither a state file nor checkpoints."""
        on_disk = self._numbers_on_disk("index")
        try:
            latest, self._kept = self._read_state()
            if latest is None and on_disk:
                raise ValueError("it is missing")
        except ValueError as e:
            problem = str(e)
        else:
            if latest is None:
                return None
            return self._restore(self._prefix(latest))
        for number in reversed(on_disk):
            prefix = self._prefix(number)
            try:
                tf.train.load_checkpoint(prefix)
            except (tf.errors.OpError, ValueError) as e:
                logger.warning("Skipping %s: it cannot be read (%s).", prefix,
                               str(e).splitlines()[0])
                continue
            logger.warning("Checkpoint state %s is unusable: %s. Restoring the newest readable "
                           "checkpoint on disk, %s.", self.state_path, problem, prefix)
            return self._restore(prefix)
        raise ValueError(f"Checkpoint state {self.state_path} is unusable: {problem}; and no "
                         f"readable {CHECKPOINT_NAME}-N.index checkpoint is in {self.directory}. "
                         "Restore it, or remove it to start training from scratch.")

    def _restore(self, prefix):
        self.checkpoint.restore(prefix)
        self.latest_checkpoint = prefix
        return prefix

    def save(self):
        """Writes the next checkpoint and the state file; returns its path."""
        number = next_number(self._numbers_on_disk(), "checkpoint number")
        path = self.checkpoint.write(self._prefix(number))
        self._kept.append(number)
        while len(self._kept) > self.max_to_keep:
            old = self._prefix(self._kept.pop(0))
            for name in tf.io.gfile.glob(old + ".index") + tf.io.gfile.glob(old + ".data-*"):
                tf.io.gfile.remove(name)
        tf.compat.v1.train.update_checkpoint_state(
            self.directory, os.path.basename(path),
            [os.path.basename(self._prefix(n)) for n in self._kept])
        self.latest_checkpoint = path
        return path
