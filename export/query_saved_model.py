"""Kept for existing scripts: the same as `tf-dynemb query` (see its --help)."""

import sys

from tf_dynemb.cli.main import main

if __name__ == "__main__":
    sys.exit(main([sys.argv[0], "query", *sys.argv[1:]]))
