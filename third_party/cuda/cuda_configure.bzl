"""Repository rule exposing the local CUDA toolkit (nvcc, headers, cudart).

The toolkit is looked up at CUDA_PATH, else /usr/local/cuda. Without one the
repository is still made (CPU builds load this file), and any GPU target fails
with a message saying what is missing.
"""

def _cuda_configure_impl(ctx):
    root = ctx.os.environ.get("CUDA_PATH", "/usr/local/cuda")
    nvcc = ctx.path(root + "/bin/nvcc")
    found = nvcc.exists
    if found:
        ctx.symlink(root + "/include", "include")
        ctx.symlink(root + "/lib64/libcudart_static.a", "libcudart_static.a")
    ctx.file("cuda_config.bzl", "CUDA_FOUND = %s\nNVCC = %r\nCUDA_ROOT = %r\n" % (
        found,
        str(nvcc) if found else "",
        root,
    ))
    if found:
        build = """
package(default_visibility = ["//visibility:public"])

cc_library(
    name = "cuda_headers",
    hdrs = glob(["include/**/*"]),
    includes = ["include"],
)

cc_library(
    name = "cudart_static",
    srcs = ["libcudart_static.a"],
    linkopts = ["-ldl", "-lrt", "-lpthread"],
)
"""
    else:
        build = """
package(default_visibility = ["//visibility:public"])

genrule(
    name = "missing",
    outs = ["missing.h"],
    cmd = "echo 'No CUDA toolkit at %s (set CUDA_PATH)' >&2; exit 1",
)

cc_library(name = "cuda_headers", hdrs = [":missing"])

cc_library(name = "cudart_static", hdrs = [":missing"])
""" % root
    ctx.file("BUILD", build)

cuda_configure = repository_rule(
    implementation = _cuda_configure_impl,
    environ = ["CUDA_PATH"],
    local = True,
)
