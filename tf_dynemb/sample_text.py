"""Real English text that needs no download: the standard library's docstrings.

Tests, benchmarks and the bundled demo vocabulary draw their words from here.
"""

import importlib
import inspect
import re

# A fixed list, so the corpus is the same on every machine with this Python.
_MODULES = (
    "argparse", "asyncio", "collections", "csv", "datetime", "decimal",
    "email", "functools", "http.client", "inspect", "io", "itertools",
    "json", "logging", "os", "pathlib", "pickle", "random", "re", "shutil",
    "socket", "sqlite3", "statistics", "string", "subprocess", "tarfile",
    "textwrap", "threading", "typing", "unittest", "urllib.parse", "zipfile",
)
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")


def docstrings(modules=_MODULES):
    """Docstrings of the given modules and their public members, in order."""
    texts = []
    for name in modules:
        module = importlib.import_module(name)
        texts.append(inspect.getdoc(module) or "")
        for attr in sorted(dir(module)):
            if attr.startswith("_"):
                continue
            doc = inspect.getdoc(getattr(module, attr, None))
            if doc and doc not in texts:
                texts.append(doc)
    return texts


def words(texts=None, lowercase=True):
    """The words of `texts` (default: `docstrings()`), in order."""
    texts = docstrings() if texts is None else texts
    out = []
    for text in texts:
        found = _WORD.findall(text)
        out.extend(w.lower() for w in found) if lowercase else out.extend(found)
    return out
