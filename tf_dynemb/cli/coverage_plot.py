"""One PNG of a `Coverage`: where words land, pieces per split word, the most
frequent out-of-vocabulary words, and the bucket load."""

from tf_dynemb.cli.coverage_stats import KIND_NAMES

COLORS = {"word": "#2e7d32", "pieces": "#1565c0", "bucket": "#ef6c00", "unknown": "#c62828"}
MAX_OOV_SHOWN = 15
MAX_PIECES_SHOWN = 12


def _shares(ax, cov):
    rows = (("tokens", "tokens"), ("distinct words", "distinct"))
    for y, (label, by) in enumerate(rows):
        left = 0.0
        for name in KIND_NAMES.values():
            share = cov.share(name, by)
            ax.barh(y, share, left=left, color=COLORS[name], label=name if y == 0 else None)
            if share >= 0.04:
                ax.text(left + share / 2, y, f"{share:.1%}", ha="center", va="center",
                        color="white", fontsize=10, fontweight="bold")
            left += share
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.set_title(f"Where the words land ({cov.tokens:,} tokens, {cov.distinct:,} distinct)")
    ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)


def _pieces(ax, cov):
    if not cov.pieces_per_word:
        ax.text(0.5, 0.5, "no word was split into pieces", ha="center", va="center")
        ax.set_axis_off()
        return
    # Words of MAX_PIECES_SHOWN pieces or more share the last bar.
    top = min(max(cov.pieces_per_word), MAX_PIECES_SHOWN)
    for offset, by, color in ((-0.2, "distinct", "#90caf9"), (0.2, "tokens", COLORS["pieces"])):
        heights = [0] * top
        for m, n in cov.pieces_per_word.items():
            heights[min(m, top) - 1] += n[by]
        total = sum(heights)
        ax.bar([m + offset for m in range(1, top + 1)], [h / total for h in heights],
               width=0.4, color=color,
               label=f"share of split {'words' if by == 'distinct' else by}")
    labels = [str(m) for m in range(1, top + 1)]
    if max(cov.pieces_per_word) > top:
        labels[-1] = f"{top}+"
    ax.set_xticks(range(1, top + 1), labels)
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    ax.set_xlabel("pieces per split word")
    ax.set_title("How finely out-of-vocabulary words are split")
    ax.legend(frameon=False)


def _top_oov(ax, cov):
    shown = cov.top_oov[:MAX_OOV_SHOWN]
    if not shown:
        ax.text(0.5, 0.5, "every word is in the vocabulary", ha="center", va="center")
        ax.set_axis_off()
        return
    labels = [f"{o['word'][:18]}  →  {o['split'][:28]}" for o in shown]
    ax.barh(range(len(shown)), [o["count"] for o in shown],
            color=[COLORS[o["kind"]] for o in shown])
    ax.set_yticks(range(len(shown)), labels, fontsize=9, family="monospace")
    ax.invert_yaxis()
    ax.set_xlabel("occurrences")
    ax.set_title("Most frequent out-of-vocabulary words and their splits")


def _buckets(ax, cov):
    if not cov.num_buckets:
        ax.text(0.5, 0.5, "no hash buckets (K = 0)", ha="center", va="center")
        ax.set_axis_off()
        return
    empty = cov.bucket_load.get(0, 0)
    loads = sorted(n for n in cov.bucket_load if n > 0)
    if not loads:
        ax.text(0.5, 0.5, f"no word fell in a bucket (K = {cov.num_buckets:,})", ha="center",
                va="center")
        ax.set_axis_off()
        return
    ax.bar(loads, [cov.bucket_load[n] for n in loads], color=COLORS["bucket"])
    ax.set_xticks(loads)
    ax.set_xlabel("distinct words in a bucket")
    ax.set_ylabel("buckets")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"Bucket load: {cov.num_buckets - empty:,} of K = {cov.num_buckets:,} buckets "
                 f"used\n{cov.bucket_collision_rate:.1%} of the words in buckets share one")


def plot(cov, path, title=""):
    """Writes the figure to `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(15, 9.5))
    _shares(axes[0][0], cov)
    _pieces(axes[0][1], cov)
    _top_oov(axes[1][0], cov)
    _buckets(axes[1][1], cov)
    fig.suptitle(f"Vocabulary coverage of {title}"[:140], fontsize=13)
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")  # PNG whatever `path`'s extension
    plt.close(fig)
