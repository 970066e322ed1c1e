"""`--smoke` for every benchmark script: tiny sizes, the same code paths, a few
seconds; a check that the script still runs (`make bench-smoke` runs them
all). Figures printed in this mode mean nothing."""

from absl import flags

flags.DEFINE_bool("smoke", False, "Tiny sizes, the same code paths: a check that the "
                  "benchmark runs (its figures mean nothing).")


def apply(sizes):
    """With --smoke, sets each flag named in `sizes` to its value there, unless
    the command line gave it; returns whether --smoke is on."""
    if flags.FLAGS.smoke:
        for name, value in sizes.items():
            if not flags.FLAGS[name].present:
                setattr(flags.FLAGS, name, value)
    return flags.FLAGS.smoke
