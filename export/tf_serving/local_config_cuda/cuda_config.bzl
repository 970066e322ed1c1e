"""tf_dynemb's CUDA settings inside a TensorFlow Serving build (unused)."""

CUDA_FOUND = False
NVCC = ""
CUDA_ROOT = ""
