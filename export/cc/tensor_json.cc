#include "export/cc/tensor_json.h"

#include <cmath>
#include <cstdio>

#include "export/cc/strings_file.h"
#include "tensorflow/core/framework/types.h"

namespace tf_dynemb {
namespace {

void WriteFloat(double value, int digits, std::ostream& out) {
  if (std::isnan(value)) {
    out << "NaN";
  } else if (std::isinf(value)) {
    out << (value > 0 ? "Infinity" : "-Infinity");
  } else {
    char text[32];
    std::snprintf(text, sizeof(text), "%.*g", digits, value);
    out << text;
  }
}

template <typename T, typename Write>
void WriteValues(const tensorflow::Tensor& tensor, Write write,
                 std::ostream& out) {
  const auto flat = tensor.flat<T>();
  for (int64_t i = 0; i < flat.size(); ++i) {
    if (i > 0) out << ", ";
    write(flat(i));
  }
}

// numpy's name for the dtypes WriteTensorJson prints.
const char* NumpyName(tensorflow::DataType dtype) {
  switch (dtype) {
    case tensorflow::DT_FLOAT:
      return "float32";
    case tensorflow::DT_DOUBLE:
      return "float64";
    case tensorflow::DT_INT32:
      return "int32";
    case tensorflow::DT_INT64:
      return "int64";
    case tensorflow::DT_INT8:
      return "int8";
    case tensorflow::DT_UINT8:
      return "uint8";
    case tensorflow::DT_BOOL:
      return "bool";
    case tensorflow::DT_STRING:
      return "bytes";
    default:
      return nullptr;
  }
}

}  // namespace

std::string JsonString(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted.push_back('\\');
      quoted.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      quoted += escaped;
    } else {
      quoted.push_back(c);
    }
  }
  return quoted + "\"";
}

absl::Status WriteTensorJson(const tensorflow::Tensor& tensor,
                             std::ostream& out) {
  using tensorflow::DataType;
  const DataType dtype = tensor.dtype();
  if (NumpyName(dtype) == nullptr) {
    return absl::UnimplementedError("cannot print an output of dtype " +
                                    tensorflow::DataTypeString(dtype));
  }
  out << "{\"dtype\": \"" << NumpyName(dtype) << "\", \"shape\": [";
  for (int i = 0; i < tensor.dims(); ++i)
    out << (i > 0 ? ", " : "") << tensor.dim_size(i);
  out << "], \"values\": [";
  auto as_int = [&out](int64_t v) { out << v; };
  switch (dtype) {
    case tensorflow::DT_FLOAT:
      WriteValues<float>(
          tensor, [&out](float v) { WriteFloat(v, 9, out); }, out);
      break;
    case tensorflow::DT_DOUBLE:
      WriteValues<double>(
          tensor, [&out](double v) { WriteFloat(v, 17, out); }, out);
      break;
    case tensorflow::DT_INT32:
      WriteValues<int32_t>(tensor, as_int, out);
      break;
    case tensorflow::DT_INT64:
      WriteValues<int64_t>(tensor, as_int, out);
      break;
    case tensorflow::DT_INT8:
      WriteValues<int8_t>(tensor, as_int, out);
      break;
    case tensorflow::DT_UINT8:
      WriteValues<uint8_t>(tensor, as_int, out);
      break;
    case tensorflow::DT_BOOL:
      WriteValues<bool>(
          tensor, [&out](bool v) { out << (v ? "true" : "false"); }, out);
      break;
    case tensorflow::DT_STRING:
      WriteValues<tensorflow::tstring>(
          tensor,
          [&out](const tensorflow::tstring& v) {
            out << JsonString(EscapeToAscii(std::string(v.data(), v.size())));
          },
          out);
      break;
    default:
      break;  // NumpyName refused it above
  }
  out << "]}";
  return absl::OkStatus();
}

absl::Status WriteTensorsJson(const std::vector<std::string>& keys,
                              const std::vector<tensorflow::Tensor>& tensors,
                              std::ostream& out) {
  out << "{";
  for (size_t i = 0; i < keys.size(); ++i) {
    out << (i > 0 ? ", " : "") << JsonString(keys[i]) << ": ";
    absl::Status status = WriteTensorJson(tensors[i], out);
    if (!status.ok()) return status;
  }
  out << "}";
  return absl::OkStatus();
}

}  // namespace tf_dynemb
