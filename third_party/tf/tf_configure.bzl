"""Repository rule exposing the installed TensorFlow's headers and libraries.

Reads tf.sysconfig (and sysconfig, for libpython) from the Python named by
PYTHON_BIN_PATH (./configure writes it into .tf_configure.bazelrc), so no path
is hard-coded.
"""

_QUERY = """
import importlib.util, os, sysconfig
import tensorflow as tf
print("version=" + tf.__version__)
print("include=" + tf.sysconfig.get_include())
print("lib=" + tf.sysconfig.get_lib())
for flag in tf.sysconfig.get_compile_flags():
    print("cflag=" + flag)
# What a C++ program needs to load SavedModels with the wheel's libraries.
print("libpython=" + os.path.join(sysconfig.get_config_var("LIBDIR") or "",
                                  sysconfig.get_config_var("INSTSONAME") or ""))
spec = importlib.util.find_spec("tensorflow_text")
if spec is not None:
    print("tf_text_ops=" + os.path.join(spec.submodule_search_locations[0], "python", "ops"))
"""

# The C++ SavedModel loader from the wheel: without the Python bindings'
# common library (and libpython, which it needs), LoadSavedModel fails with
# "No session factory registered". --no-as-needed keeps both linked although
# the program calls neither directly.
_CC_BUILD = """
cc_library(
    name = "tf_cc",
    srcs = [
        "libtensorflow_cc.so.2",
        "libtensorflow_framework.so.2",
        "lib_pywrap_tensorflow_common.so",
        "{libpython}",
    ],
    linkopts = ["-Wl,--no-as-needed"],
    deps = [":tf_headers"],
)

cc_library(
    name = "tf_cc_paths",
    hdrs = ["tf_cc_paths.h"],
)
"""

# Stands in for :tf_cc when a library is missing: building a target that
# needs it fails with the reason, while the op library still builds.
_CC_MISSING_BUILD = """
genrule(
    name = "tf_cc_missing",
    outs = ["tf_cc_missing.cc", "tf_cc_paths.h"],
    cmd = "echo 'tf_configure: cannot link the C++ SavedModel loader: {reason}' >&2; exit 1",
)

cc_library(
    name = "tf_cc",
    srcs = ["tf_cc_missing.cc"],
)

cc_library(
    name = "tf_cc_paths",
    hdrs = ["tf_cc_paths.h"],
)
"""

def _c_string(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')

def _cc_build(ctx, info):
    """BUILD text for :tf_cc and :tf_cc_paths, after linking their files in."""
    libs = {
        "libtensorflow_cc.so.2": info["lib"] + "/libtensorflow_cc.so.2",
        "lib_pywrap_tensorflow_common.so": info["lib"] + "/python/lib_pywrap_tensorflow_common.so",
        info["libpython"].rpartition("/")[2]: info["libpython"],
    }
    for name, path in libs.items():
        if not name or not ctx.path(path).exists:
            return _CC_MISSING_BUILD.format(reason = (
                "%s does not exist (for libpython: a Python built with --enable-shared, " +
                "or the Debian package libpython3.X)"
            ) % (path or "libpython"))
    for name, path in libs.items():
        ctx.symlink(path, name)
    ctx.file("tf_cc_paths.h", "\n".join([
        "// Written by tf_configure: where the installed wheels keep what a",
        "// C++ SavedModel loader loads at run time.",
        "#ifndef TF_DYNEMB_TF_CC_PATHS_H_",
        "#define TF_DYNEMB_TF_CC_PATHS_H_",
        "// TF Text's op libraries (_*.so); empty if tensorflow_text is not installed.",
        "#define TF_DYNEMB_TF_TEXT_OPS_DIR " + _c_string(info.get("tf_text_ops", "")),
        "#endif  // TF_DYNEMB_TF_CC_PATHS_H_",
        "",
    ]))
    return _CC_BUILD.format(libpython = info["libpython"].rpartition("/")[2])

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
""" + _cc_build(ctx, info))

tf_configure = repository_rule(
    implementation = _tf_configure_impl,
    environ = ["PYTHON_BIN_PATH"],
    local = True,
)
