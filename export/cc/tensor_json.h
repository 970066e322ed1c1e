// Prints tensors as JSON that a test reads back exactly: float32 with 9
// significant digits and float64 with 17 (both round-trip), NaN and
// +-Infinity as Python's json module writes them, strings as printable ASCII
// with the strings file's escapes (strings_file.h).
#ifndef TF_DYNEMB_EXPORT_CC_TENSOR_JSON_H_
#define TF_DYNEMB_EXPORT_CC_TENSOR_JSON_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tensorflow/core/framework/tensor.h"

namespace tf_dynemb {

// Writes {"dtype": "float32", "shape": [2, 3], "values": [...]} with the
// values flattened in row-major order; dtype is numpy's name (strings:
// "bytes"). Fails for a dtype other than float32/64, int8/32/64, uint8, bool
// and string.
absl::Status WriteTensorJson(const tensorflow::Tensor& tensor,
                             std::ostream& out);

// Writes "key": tensor pairs as one JSON object.
absl::Status WriteTensorsJson(const std::vector<std::string>& keys,
                              const std::vector<tensorflow::Tensor>& tensors,
                              std::ostream& out);

// `text` as a JSON string literal, quotes included (UTF-8 passes through).
std::string JsonString(const std::string& text);

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_EXPORT_CC_TENSOR_JSON_H_
