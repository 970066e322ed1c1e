"""Build settings of tf_dynemb inside a TensorFlow Serving build."""

# Serving's .bazelrc already sets the C++ standard and ABI.
TF_COPTS = []
TF_VERSION = "tensorflow-serving"
TF_INCLUDE = ""
