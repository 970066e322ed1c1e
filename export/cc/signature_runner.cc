#include "export/cc/signature_runner.h"

#include <algorithm>
#include <limits>

#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.h"

namespace tf_dynemb {
namespace {

using tensorflow::TensorInfo;

std::string ShapeText(const tensorflow::TensorShapeProto& shape) {
  if (shape.unknown_rank()) return "<unknown rank>";
  std::string text = "[";
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (i > 0) text += ", ";
    text +=
        shape.dim(i).size() < 0 ? "None" : std::to_string(shape.dim(i).size());
  }
  return text + "]";
}

// The shape that `count` strings take in an input of `info`'s shape.
absl::Status FeedShape(const TensorInfo& info, const std::string& what,
                       int64_t count, tensorflow::TensorShape* shape) {
  const tensorflow::TensorShapeProto& declared = info.tensor_shape();
  if (declared.unknown_rank()) {
    *shape = tensorflow::TensorShape({count});
    return absl::OkStatus();
  }
  int64_t known = 1;
  int unknown = -1;
  for (int i = 0; i < declared.dim_size(); ++i) {
    const int64_t size = declared.dim(i).size();
    if (size > 0 && known > std::numeric_limits<int64_t>::max() / size) {
      return absl::InvalidArgumentError(
          what + " has shape " + ShapeText(declared) + ": too many elements");
    } else if (size >= 0) {
      known *= size;
    } else if (unknown >= 0) {
      return absl::InvalidArgumentError(
          what + " has shape " + ShapeText(declared) +
          ": more than one unknown dimension; strings cannot be shaped to it");
    } else {
      unknown = i;
    }
  }
  const bool fits = unknown < 0  ? count == known
                    : known == 0 ? count == 0
                                 : count % known == 0;
  if (!fits) {
    return absl::InvalidArgumentError(
        what + " has shape " + ShapeText(declared) + "; " +
        std::to_string(count) + " strings do not fill it");
  }
  *shape = tensorflow::TensorShape();
  for (int i = 0; i < declared.dim_size(); ++i) {
    const int64_t size =
        i == unknown ? (known > 0 ? count / known : 0) : declared.dim(i).size();
    absl::Status status = shape->AddDimWithStatus(size);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

template <typename Map>
std::vector<std::string> SortedKeys(const Map& map) {
  std::vector<std::string> keys;
  for (const auto& entry : map) keys.push_back(entry.first);
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

absl::Status SignatureRunner::Create(const tensorflow::SavedModelBundle& bundle,
                                     const std::string& name,
                                     SignatureRunner* runner) {
  const auto& signatures = bundle.GetSignatures();
  const auto found = signatures.find(name);
  if (found == signatures.end()) {
    std::string known;
    for (const std::string& key : ServableSignatures(bundle))
      known += " " + key;
    return absl::NotFoundError("no signature '" + name +
                               "' in the SavedModel; it has:" + known);
  }
  const tensorflow::SignatureDef& signature = found->second;
  runner->session_ = bundle.GetSession();
  runner->name_ = name;
  runner->input_keys_ = SortedKeys(signature.inputs());
  runner->output_keys_ = SortedKeys(signature.outputs());
  runner->inputs_.clear();
  runner->output_tensor_names_.clear();
  for (const std::string& key : runner->input_keys_) {
    const TensorInfo& info = signature.inputs().at(key);
    if (info.encoding_case() != TensorInfo::kName) {
      return absl::InvalidArgumentError("input '" + key + "' of signature '" +
                                        name + "' is not a plain tensor");
    }
    runner->inputs_.push_back(info);
  }
  for (const std::string& key : runner->output_keys_) {
    const TensorInfo& info = signature.outputs().at(key);
    if (info.encoding_case() != TensorInfo::kName) {
      return absl::InvalidArgumentError("output '" + key + "' of signature '" +
                                        name + "' is not a plain tensor");
    }
    runner->output_tensor_names_.push_back(info.name());
  }
  return absl::OkStatus();
}

absl::Status SignatureRunner::MakeFeeds(
    const std::map<std::string, std::vector<std::string>>& strings,
    Feeds* feeds) const {
  feeds->clear();
  for (size_t i = 0; i < input_keys_.size(); ++i) {
    const std::string what =
        "input '" + input_keys_[i] + "' of signature '" + name_ + "'";
    const TensorInfo& info = inputs_[i];
    if (info.dtype() != tensorflow::DT_STRING) {
      return absl::InvalidArgumentError(
          what + " has dtype " + tensorflow::DataTypeString(info.dtype()) +
          "; only string inputs can be read from a file");
    }
    const auto values = strings.find(input_keys_[i]);
    if (values == strings.end()) {
      return absl::InvalidArgumentError(
          what + " was given no strings; pass --inputs=" + input_keys_[i] +
          "=FILE");
    }
    tensorflow::TensorShape shape;
    absl::Status status = FeedShape(
        info, what, static_cast<int64_t>(values->second.size()), &shape);
    if (!status.ok()) return status;
    tensorflow::Tensor tensor(tensorflow::DT_STRING, shape);
    auto flat = tensor.flat<tensorflow::tstring>();
    for (size_t j = 0; j < values->second.size(); ++j)
      flat(j) = values->second[j];
    feeds->emplace_back(info.name(), std::move(tensor));
  }
  return absl::OkStatus();
}

absl::Status SignatureRunner::Run(
    const Feeds& feeds, std::vector<tensorflow::Tensor>* outputs) const {
  return session_->Run(feeds, output_tensor_names_, {}, outputs);
}

std::vector<std::string> ServableSignatures(
    const tensorflow::SavedModelBundle& bundle) {
  std::vector<std::string> names;
  for (const std::string& name : SortedKeys(bundle.GetSignatures())) {
    if (name.rfind("__", 0) != 0) names.push_back(name);
  }
  return names;
}

}  // namespace tf_dynemb
