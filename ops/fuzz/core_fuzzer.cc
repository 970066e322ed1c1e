// libFuzzer target over the TF-free core: the model parser and validator, the
// segmenter, pooling and hashing, under AddressSanitizer and
// UndefinedBehaviorSanitizer (`make fuzz`).
//
// Input: [flags u8][model size u32][model bytes][words], each word [n u8][n
// bytes], or [255][n u16][n bytes] for a long one. Flag bit 0 rewrites the
// model's checksum first, so mutations reach the checks behind it.
//
// Beyond the sanitizers' findings, it traps when a word maps to a row >= V,
// to an unknown kind, or to a row count that its rows do not match.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ops/core/fingerprint64.h"
#include "ops/core/model_builder.h"
#include "ops/core/model_format.h"
#include "ops/core/model_validator.h"
#include "ops/core/pooling.h"
#include "ops/core/segmenter.h"

namespace {

using tf_dynemb::ModelView;

constexpr uint32_t kMaxTableRows = 1 << 16;  // EmbedWord runs up to this V.
constexpr int64_t kDim = 3;

struct Input {
  uint8_t flags = 0;
  std::vector<uint8_t> model;
  std::vector<std::string> words;
};

Input Split(const uint8_t* data, size_t size) {
  Input in;
  if (size < 5) return in;
  in.flags = data[0];
  uint32_t model_size;
  std::memcpy(&model_size, data + 1, 4);
  size_t at = 5;
  if (model_size > size - at) model_size = static_cast<uint32_t>(size - at);
  in.model.assign(data + at, data + at + model_size);
  at += model_size;
  while (at < size) {
    size_t n = data[at++];
    if (n == 255 && at + 2 <= size) {
      n = data[at] | (static_cast<size_t>(data[at + 1]) << 8);
      at += 2;
    }
    if (n > size - at) n = size - at;
    in.words.emplace_back(reinterpret_cast<const char*>(data + at), n);
    at += n;
  }
  return in;
}

// Classifies every word and walks its rows; traps on a broken promise.
void CheckWords(const ModelView& m, const std::vector<std::string>& words) {
  const uint64_t rows_total = m.num_rows();
  for (const std::string& w : words) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(w.data());
    const tf_dynemb::WordRows rows = tf_dynemb::ClassifyWord(m, bytes, w.size());
    if (rows.kind < tf_dynemb::kPad || rows.kind > tf_dynemb::kNgrams) __builtin_trap();
    uint32_t seen = 0;
    tf_dynemb::ForEachRow(m, bytes, w.size(), rows, [&](uint32_t row) {
      if (row >= rows_total) __builtin_trap();
      ++seen;
    });
    if (seen != rows.num_rows) __builtin_trap();
  }
}

void EmbedWords(const ModelView& m, const std::vector<std::string>& words) {
  if (m.num_rows() > kMaxTableRows) return;
  std::vector<float> table(static_cast<size_t>(m.num_rows()) * kDim, 0.5f);
  float acc[kDim], out[kDim];
  int32_t combiner = 0;
  for (const std::string& w : words) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(w.data());
    tf_dynemb::EmbedWord(m, bytes, w.size(), combiner, table.data(), kDim, acc, out);
    // Rows hold 0.5; a sum is at most 0.5 a row.
    const uint32_t rows = tf_dynemb::ClassifyWord(m, bytes, w.size()).num_rows;
    const float most = 0.5f * static_cast<float>(rows > 1 ? rows : 1);
    for (float v : out) {
      if (!(v >= 0.0f && v <= most)) __builtin_trap();
    }
    combiner = (combiner + 1) % 3;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tf_dynemb::Fingerprint64(data, size);
  Input in = Split(data, size);
  if (in.flags & 1) tf_dynemb::SealModel(in.model.data(), in.model.size());
  // A heap copy of the exact size, so the sanitizer sees any read past it.
  const std::vector<uint8_t> model(in.model);
  ModelView parsed;
  if (tf_dynemb::ParseModel(model.data(), model.size(), &parsed) ==
      tf_dynemb::ModelError::kOk) {
    // Unvalidated views must stay in bounds too: the GPU reads them so.
    CheckWords(parsed, in.words);
  }
  ModelView valid;
  if (tf_dynemb::ValidateModel(model.data(), model.size(), &valid).empty()) {
    CheckWords(valid, in.words);
    EmbedWords(valid, in.words);
  }
  return 0;
}
