#include "ops/core/model_validator.h"

#include <cstdio>

#include "ops/core/fingerprint64.h"

namespace tf_dynemb {
namespace {

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// Offsets start at 0, never decrease, and end at the size of their bytes.
bool OffsetsSound(const U32Span& offsets, const ByteSpan& bytes) {
  if (offsets.Get(0, 1) != 0) return false;
  for (uint32_t i = 1; i < offsets.size; ++i) {
    if (offsets.Get(i, 0) < offsets.Get(i - 1, 0)) return false;
  }
  return offsets.Get(offsets.size - 1, 0) == bytes.size;
}

std::string CheckTrie(const ModelView& m) {
  const uint32_t nodes = m.node_value.size;
  if (m.child_begin.Get(0, 1) != 0 ||
      m.child_begin.Get(nodes, 0) != m.edge_label.size) {
    return "trie edge offsets do not cover its edges";
  }
  for (uint32_t n = 0; n < nodes; ++n) {
    const uint32_t begin = m.child_begin.Get(n, 0);
    const uint32_t end = m.child_begin.Get(n + 1, 0);
    if (end < begin) return "trie edge offsets decrease at node " + std::to_string(n);
    for (uint32_t e = begin; e < end; ++e) {
      if (e > begin && m.edge_label.data[e] <= m.edge_label.data[e - 1]) {
        return "trie edges of node " + std::to_string(n) + " are not sorted";
      }
      if (m.edge_target.Get(e, kNoId) >= nodes) {
        return "trie edge " + std::to_string(e) + " points past the last node";
      }
    }
    const uint32_t value = m.node_value.Get(n, kNoId);
    if (value != kNoId && value >= m.num_pieces) {
      return "trie node " + std::to_string(n) + " holds piece id " +
             std::to_string(value) + " >= num_pieces " +
             std::to_string(m.num_pieces);
    }
  }
  if (m.suffix_root != kNoId && m.suffix_root >= nodes) {
    return "suffix-indicator node " + std::to_string(m.suffix_root) +
           " is past the last node";
  }
  return "";
}

}  // namespace

std::string DescribeModelError(ModelError error, const uint8_t* data,
                               uint64_t size) {
  const std::string got = " (received " + std::to_string(size) + " bytes)";
  switch (error) {
    case ModelError::kOk:
      return "";
    case ModelError::kTooSmall:
      return "model buffer is shorter than its " +
             std::to_string(kModelPrefixBytes) + "-byte header" + got;
    case ModelError::kBadMagic:
      return "model buffer does not start with the tf_dynemb magic 'TFDE'; "
             "got " + Hex(LoadU32(data)) + got;
    case ModelError::kBadVersion:
      return "model format version " + std::to_string(LoadU32(data + 4)) +
             " is not supported (this build reads version " +
             std::to_string(kModelVersion) + ")" + got;
    case ModelError::kSizeMismatch:
      return "model buffer header records " +
             std::to_string(LoadU32(data + kFieldTotalSize)) +
             " bytes; it is truncated or padded" + got;
    case ModelError::kSectionOutOfBounds:
      return "a model section lies outside the buffer" + got;
    case ModelError::kSectionMisaligned:
      return "a model section is not 4-byte aligned" + got;
    case ModelError::kInconsistentCounts:
      return "model section sizes disagree with the header counts" + got;
    case ModelError::kTooManyRows:
      return "model header counts exceed 2147483647 rows" + got;
  }
  return "unknown model error" + got;
}

std::string ValidateModel(const uint8_t* data, uint64_t size, ModelView* view) {
  ModelView m;
  const ModelError error = ParseModel(data, size, &m);
  if (error != ModelError::kOk) {
    return "Invalid model: " + DescribeModelError(error, data, size);
  }
  const uint64_t stored = (static_cast<uint64_t>(LoadU32(data + kFieldChecksumHi))
                           << 32) | LoadU32(data + kFieldChecksumLo);
  const uint64_t actual = Fingerprint64(data + kChecksumEnd, size - kChecksumEnd);
  if (stored != actual) {
    return "Invalid model: checksum mismatch, the buffer is damaged (received " +
           std::to_string(size) + " bytes)";
  }
  std::string problem;
  if (!OffsetsSound(m.word_offsets, m.word_bytes)) {
    problem = "word offsets are not monotone within the word bytes";
  } else if (!OffsetsSound(m.piece_offsets, m.piece_bytes)) {
    problem = "piece offsets are not monotone within the piece bytes";
  } else if (m.max_bytes_per_word == 0) {
    problem = "max_bytes_per_word is 0";
  } else if (m.unknown_row != kNoId &&
             (m.unknown_row < m.num_words ||
              m.unknown_row >= m.num_words + m.num_pieces)) {
    problem = "unknown row " + std::to_string(m.unknown_row) +
              " is not a piece row";
  } else {
    for (uint32_t s = 0; s < m.word_slots.size && problem.empty(); ++s) {
      const uint32_t id = m.word_slots.Get(s, kNoId);
      if (id != kNoId && id >= m.num_words) {
        problem = "word slot " + std::to_string(s) + " holds id " +
                  std::to_string(id) + " >= num_words";
      }
    }
    if (problem.empty()) problem = CheckTrie(m);
  }
  if (!problem.empty()) {
    return "Invalid model: " + problem + " (received " + std::to_string(size) +
           " bytes)";
  }
  *view = m;
  return "";
}

}  // namespace tf_dynemb
