// Builds the vocabulary model buffer (see model_format.h) on the host.
#ifndef TF_DYNEMB_OPS_CORE_MODEL_BUILDER_H_
#define TF_DYNEMB_OPS_CORE_MODEL_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tf_dynemb {

struct ModelConfig {
  std::vector<std::string_view> words;
  std::vector<std::string_view> pieces;
  int64_t num_oov_buckets = 0;
  std::string_view suffix_indicator = "##";
  int64_t max_bytes_per_word = 100;
  // Empty means no unknown token; otherwise it must be one of `pieces`.
  std::string_view unknown_token;
  // Character n-gram buckets (0: none) and their lengths in characters.
  int64_t num_ngram_buckets = 0;
  int64_t min_n = 3;
  int64_t max_n = 6;
  // A listed word's vector also pools its pieces' and n-grams' rows.
  bool compose_words = false;
};

// Serializes `config` into `model`. Returns an empty string on success, or a
// message that names the offending argument and the value received.
std::string BuildModel(const ModelConfig& config, std::string* model);

// Writes the checksum of the model buffer data[0, size) into its header (the
// builder's last step; tests and the fuzzer reseal hand-edited buffers so).
// Buffers shorter than the checksummed header are left alone.
void SealModel(uint8_t* data, uint64_t size);

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_MODEL_BUILDER_H_
