"""Prints words of real English text, one per line, with only the standard
library (for the GPU harness on machines without TensorFlow).

Usage: python3 scripts/sample_words.py [COUNT]
"""

import importlib.util
import os
import random
import sys

_PATH = os.path.join(os.path.dirname(__file__), "..", "tf_dynemb", "sample_text.py")


def main():
    spec = importlib.util.spec_from_file_location("sample_text", _PATH)
    sample_text = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample_text)
    words = sample_text.words(lowercase=False)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    rng = random.Random(0)
    sys.stdout.write("\n".join(rng.choice(words) for _ in range(count)) + "\n")


if __name__ == "__main__":
    main()
