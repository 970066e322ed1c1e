"""The parts of the package metadata that depend on the built op library.

The wheel holds a native library built against one TensorFlow version: it is
a platform wheel, and it requires exactly that TensorFlow (the loader refuses
any other). A source tree without a built library accepts the TensorFlow
minor version the sources are written for.
"""

import json
import os

from setuptools import setup
from setuptools.dist import Distribution

_BUILD_INFO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_dynemb",
                           "_tf_dynemb_ops.json")
TENSORFLOW_MINOR = ">=2.21,<2.22"


def tensorflow_requirement():
    if not os.path.exists(_BUILD_INFO):
        return "tensorflow" + TENSORFLOW_MINOR
    with open(_BUILD_INFO) as f:
        return "tensorflow==" + json.load(f)["tensorflow_version"]


class NativeDistribution(Distribution):
    """Tagged for this Python and platform: the package ships a `.so`."""

    def has_ext_modules(self):
        return True


setup(
    distclass=NativeDistribution,
    install_requires=[
        tensorflow_requirement(),
        "tensorflow-text" + TENSORFLOW_MINOR,
        "keras>=3.10",
        "keras-hub>=0.20",
        "numpy",
        "absl-py",
        "tqdm",
    ],
)
