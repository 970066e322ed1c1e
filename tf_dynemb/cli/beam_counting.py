"""Word counting as an Apache Beam pipeline, for corpora of any size.

The DirectRunner runs it in this process; any other runner (Dataflow, Flink,
Spark) by its pipeline options. Workers split lines as `corpus.tokenize` does,
count within each batch, and the counts are summed per word and written as
one `word<TAB>count` file. Lines that are not UTF-8 are counted, per file, in
a Beam metric; the caller refuses the result when there are any. The
`beam-temp-*` directory Beam writes beside the counts is removed whatever
happens.
"""

import collections
import glob
import importlib.util
import os
import shutil

from tf_dynemb.cli import corpus
from tf_dynemb.cli.atomic_files import naming
from tf_dynemb.cli.errors import CommandError

INVALID_UTF8 = "invalid_utf8_lines"
NAMESPACE = "tf_dynemb"


def available():
    return importlib.util.find_spec("apache_beam") is not None


def _count_batch(batch, lowercase, strip_accents):
    """(word, count) pairs of a batch of (file name, line bytes)."""
    from apache_beam.metrics import Metrics

    lines = []
    for file_name, raw in batch:
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            Metrics.counter(NAMESPACE, f"{INVALID_UTF8}:{file_name}").inc()
    if not lines:
        return []
    counts = collections.Counter(corpus.tokenize(lines, lowercase, strip_accents))
    return [(word.decode("utf-8"), n) for word, n in counts.items()]


def _match(patterns):
    from apache_beam.io.filesystems import FileSystems

    for pattern, result in zip(patterns, FileSystems.match(patterns)):
        if not result.metadata_list:
            raise CommandError(f"--corpus={pattern} matches no file.")


def _invalid_lines(result):
    from apache_beam.metrics.metric import MetricsFilter

    found = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]
    per_file = collections.Counter()
    for counter in found:
        if counter.key.metric.name.startswith(INVALID_UTF8 + ":"):
            per_file[counter.key.metric.name.split(":", 1)[1]] += counter.committed
    return per_file


def _remove_beam_temporaries(counts_path):
    """Removes the directories Beam's WriteToText stages `counts_path` in
    (`beam-temp-NAME-UUID` beside it), which a failed pipeline leaves."""
    directory, name = os.path.split(os.path.abspath(counts_path))
    pattern = os.path.join(glob.escape(directory), f"beam-temp-{glob.escape(name)}-*")
    for path in glob.glob(pattern):
        shutil.rmtree(path, ignore_errors=True)


def count_words(patterns, counts_path, runner="DirectRunner", pipeline_args=(),
                lowercase=True, strip_accents=False, shown_path=None):
    """Runs the pipeline; writes `counts_path` and returns {word: count}.
    Errors name `shown_path` (default `counts_path`): the file the counts
    become, when `counts_path` is its temporary."""
    import apache_beam as beam
    from apache_beam.coders import BytesCoder
    from apache_beam.options.pipeline_options import PipelineOptions

    _match(patterns)
    options = PipelineOptions(["--runner", runner, *pipeline_args])
    pipeline = beam.Pipeline(options=options)
    lines = [
        pipeline | f"Read{i}" >> beam.io.ReadFromTextWithFilename(pattern, coder=BytesCoder())
        for i, pattern in enumerate(patterns)
    ]
    _ = (
        lines
        | "Flatten" >> beam.Flatten()
        | "Batch" >> beam.BatchElements(min_batch_size=64, max_batch_size=corpus.BATCH_LINES)
        | "CountInBatch" >> beam.FlatMap(_count_batch, lowercase, strip_accents)
        | "Sum" >> beam.CombinePerKey(sum)
        | "Format" >> beam.MapTuple(lambda word, n: f"{word}\t{n}")
        | "Write" >> beam.io.WriteToText(counts_path, num_shards=1, shard_name_template="",
                                         header=corpus.COUNTS_HEADER)
    )
    try:
        with naming(shown_path or counts_path):
            try:
                result = pipeline.run()
                result.wait_until_finish()
            except RuntimeError as e:
                # The DirectRunner re-raises a step's error as a RuntimeError;
                # an OSError (a full disk) is then its context.
                if isinstance(e.__context__, OSError):
                    raise e.__context__ from None
                raise
    finally:
        _remove_beam_temporaries(counts_path)
    invalid = _invalid_lines(result)
    if invalid:
        os.remove(counts_path)
        files = ", ".join(f"{name} ({n})" for name, n in sorted(invalid.items()))
        raise CommandError(f"{sum(invalid.values())} lines of the corpus are not valid UTF-8: "
                           f"{files}; a corpus must be UTF-8 text.")
    return corpus.read_counts(counts_path)
