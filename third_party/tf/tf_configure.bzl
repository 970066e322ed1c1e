"""Repository rule exposing the installed TensorFlow's headers and library.

Reads tf.sysconfig from the Python named by PYTHON_BIN_PATH (./configure
writes it into .tf_configure.bazelrc), so no path is hard-coded.
"""

_QUERY = """
import tensorflow as tf
print("version=" + tf.__version__)
print("include=" + tf.sysconfig.get_include())
print("lib=" + tf.sysconfig.get_lib())
for flag in tf.sysconfig.get_compile_flags():
    print("cflag=" + flag)
"""

def _tf_configure_impl(ctx):
    python = ctx.os.environ.get("PYTHON_BIN_PATH", "python3")
    result = ctx.execute(
        [python, "-c", _QUERY],
        environment = {"TF_CPP_MIN_LOG_LEVEL": "3"},
        quiet = True,
    )
    if result.return_code != 0:
        fail("tf_configure: could not import tensorflow with %s. Run ./configure " % python +
             "with the Python that has TensorFlow installed.\n" + result.stderr)
    info = {"cflag": []}
    for line in result.stdout.splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key == "cflag":
            info["cflag"].append(value)
        else:
            info[key] = value
    ctx.symlink(info["include"], "include")
    ctx.symlink(info["lib"] + "/libtensorflow_framework.so.2", "libtensorflow_framework.so.2")
    copts = [f for f in info["cflag"] if not f.startswith("-I")]
    ctx.file("tf_config.bzl", "TF_COPTS = %r\nTF_VERSION = %r\nTF_INCLUDE = %r\n" % (
        copts,
        info["version"],
        info["include"],
    ))
    ctx.file("BUILD", """
package(default_visibility = ["//visibility:public"])

cc_library(
    name = "tf_headers",
    hdrs = glob(["include/**/*"]),
    includes = ["include"],
)

cc_library(
    name = "tf_framework",
    srcs = ["libtensorflow_framework.so.2"],
)
""")

tf_configure = repository_rule(
    implementation = _tf_configure_impl,
    environ = ["PYTHON_BIN_PATH"],
    local = True,
)
