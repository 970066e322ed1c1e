"""A WordPiece vocabulary learned from word counts, in one process.

TF Text's learner (the one behind `bert_vocab_from_dataset`) does the work;
this module drives its search for the frequency threshold that gives the
requested size itself, so that each trial shows on a progress bar.
"""

import math

from tf_dynemb.cli.errors import CommandError
from tf_dynemb.cli.progress import bar


def learn_pieces(counts, vocab_size, reserved_tokens=("[UNK]",), suffix_indicator="##",
                 max_piece_length=50, max_unique_chars=1000, slack_ratio=0.05):
    """Pieces (reserved tokens first) for the {word: count} `counts`: at most
    `vocab_size` of them, and at least `vocab_size * (1 - slack_ratio)` when the
    corpus has enough text for it."""
    from tensorflow_text.tools.wordpiece_vocab import wordpiece_tokenizer_learner_lib as lib

    params = lib.Params(
        upper_thresh=int(1e7), lower_thresh=1, num_iterations=4, max_input_tokens=int(5e6),
        max_token_length=max_piece_length, max_unique_chars=max_unique_chars,
        vocab_size=vocab_size, slack_ratio=slack_ratio, include_joiner_token=True,
        joiner=suffix_indicator, reserved_tokens=list(reserved_tokens))
    pairs = list(counts.items())
    upper, lower = lib.get_search_threshs(pairs, params.upper_thresh, params.lower_thresh)
    words = lib.get_input_words(pairs, params.reserved_tokens, params.max_token_length)
    allowed = lib.get_allowed_chars(words, params.max_unique_chars)
    words = lib.filter_input_words(words, allowed, params.max_input_tokens)
    # Binary search over the threshold: a piece must occur `threshold` times.
    # A higher threshold gives fewer pieces; keep the largest vocabulary that fits.
    best = None
    steps = max(1, math.ceil(math.log2(max(upper - lower, 1) + 1)) + 1)
    with bar(total=steps, desc="learning pieces", unit="trial") as progress:
        while lower <= upper:
            threshold = (lower + upper) // 2
            vocab = lib.learn_with_thresh(words, threshold, params)
            progress.update(1)
            if len(vocab) <= vocab_size:
                if best is None or len(vocab) > len(best):
                    best = vocab
                if vocab_size - len(vocab) <= slack_ratio * vocab_size:
                    break
                upper = threshold - 1
            else:
                lower = threshold + 1
    if best is None:
        raise CommandError(
            f"--vocab_size={vocab_size} is too small: the corpus's characters alone, with "
            f"and without {suffix_indicator!r}, need {len(vocab)} pieces.")
    return best
