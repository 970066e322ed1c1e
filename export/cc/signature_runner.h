// Runs one signature of a loaded SavedModel on string inputs, as
// tensorflow_model_server's Predict does: feeds and fetches by the tensor
// names the SignatureDef holds, through the bundle's Session.
#ifndef TF_DYNEMB_EXPORT_CC_SIGNATURE_RUNNER_H_
#define TF_DYNEMB_EXPORT_CC_SIGNATURE_RUNNER_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tensorflow/cc/saved_model/loader.h"
#include "tensorflow/core/framework/tensor.h"

namespace tf_dynemb {

// Feeds of one Session::Run: (tensor name, tensor) pairs.
using Feeds = std::vector<std::pair<std::string, tensorflow::Tensor>>;

class SignatureRunner {
 public:
  // The signature `name` of `bundle`, which must outlive the runner. Fails if
  // it is missing or an input or output is not a plain tensor (for example a
  // ragged one, which Predict cannot carry either).
  static absl::Status Create(const tensorflow::SavedModelBundle& bundle,
                             const std::string& name, SignatureRunner* runner);

  const std::string& name() const { return name_; }
  // Input and output keys, sorted.
  const std::vector<std::string>& input_keys() const { return input_keys_; }
  const std::vector<std::string>& output_keys() const { return output_keys_; }

  // Builds one string tensor per input key from `strings[key]`, shaped by the
  // signature: an unknown dimension (at most one) takes what the strings fill,
  // so N strings feed a [None] input as [N] and a [None, 2] input as [N/2, 2].
  // Fails, naming the input, for a non-string input, a missing key or strings
  // that do not fill the shape.
  absl::Status MakeFeeds(
      const std::map<std::string, std::vector<std::string>>& strings,
      Feeds* feeds) const;

  // One Session::Run; `outputs` follow output_keys().
  absl::Status Run(const Feeds& feeds,
                   std::vector<tensorflow::Tensor>* outputs) const;

 private:
  tensorflow::Session* session_ = nullptr;
  std::string name_;
  std::vector<std::string> input_keys_, output_keys_;
  std::vector<tensorflow::TensorInfo> inputs_;  // follows input_keys_
  std::vector<std::string> output_tensor_names_;
};

// Every signature a client can call, sorted; TensorFlow's own entries (names
// starting "__", such as "__saved_model_init_op") are left out.
std::vector<std::string> ServableSignatures(
    const tensorflow::SavedModelBundle& bundle);

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_EXPORT_CC_SIGNATURE_RUNNER_H_
