"""learn-vocab's WordPiece step: `tf_dynemb.vocabulary_learning.learn_pieces`
with a progress bar, its error as the command's."""

from tf_dynemb import vocabulary_learning
from tf_dynemb.cli.errors import CommandError
from tf_dynemb.cli.progress import bar


def _trials_bar(total):
    return bar(total=total, desc="learning pieces", unit="trial")


def learn_pieces(counts, vocab_size, reserved_tokens, suffix_indicator):
    """Pieces for the {word: count} `counts` (see `vocabulary_learning.learn_pieces`)."""
    try:
        return vocabulary_learning.learn_pieces(
            counts, vocab_size, reserved_tokens, suffix_indicator, size_name="--vocab_size",
            progress=_trials_bar)
    except ValueError as e:
        raise CommandError(str(e)) from None
