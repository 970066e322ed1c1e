#include "ops/core/model_validator.h"

#include <cstdio>
#include <vector>

#include "ops/core/fingerprint64.h"
#include "ops/core/segmenter.h"

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

// The trie is a tree that spells exactly the pieces: the root has no parent
// (so no walk from it can cycle), every unit's parent and value are in range,
// each piece's bytes lead from the root to a unit holding its id, and no other
// unit holds an id. max_piece_bytes is the longest piece's length.
std::string CheckTrie(const ModelView& m) {
  if (LoadUnit(m, 0).check != kNoId) {
    return "the trie root has a parent: the trie holds a cycle";
  }
  uint64_t valued = 0;
  for (uint32_t u = 0; u < m.num_units; ++u) {
    const TrieUnit unit = LoadUnit(m, u);
    if (unit.check != kNoId && unit.check >= m.num_units) {
      return "trie unit " + std::to_string(u) + " has parent " +
             std::to_string(unit.check) + " past the last unit";
    }
    if (unit.value == kNoId) continue;
    if (unit.value >= m.num_pieces || unit.check == kNoId) {
      return "trie unit " + std::to_string(u) + " holds piece id " +
             std::to_string(unit.value) + " (num_pieces " +
             std::to_string(m.num_pieces) + ")";
    }
    ++valued;
  }
  uint32_t longest = 0;
  for (uint32_t j = 0; j < m.num_pieces; ++j) {
    const uint32_t begin = m.piece_offsets.Get(j, 0);
    const uint32_t end = m.piece_offsets.Get(j + 1, 0);
    const uint32_t len = end - begin;
    if (len > longest) longest = len;
    uint32_t node = 0;
    for (uint32_t i = begin; i < end && node != kNoId; ++i) {
      const uint64_t child =
          static_cast<uint64_t>(LoadUnit(m, node).base) + m.piece_bytes.data[i];
      node = child < m.num_units && LoadUnit(m, child).check == node
                 ? static_cast<uint32_t>(child)
                 : kNoId;
    }
    if (len == 0 || node == kNoId || LoadUnit(m, node).value != j) {
      return "piece " + std::to_string(j) + " is not found in the trie";
    }
  }
  if (valued != m.num_pieces) {
    return "the trie holds " + std::to_string(valued) + " piece ids for " +
           std::to_string(m.num_pieces) + " pieces";
  }
  if (m.max_piece_bytes != longest) {
    return "the header records a longest piece of " +
           std::to_string(m.max_piece_bytes) + " bytes; the pieces' longest has " +
           std::to_string(longest);
  }
  // The suffix root is where the indicator's bytes lead, as the builder sets.
  uint32_t node = 0;
  for (uint32_t i = 0; i < m.suffix_indicator.size && node != kNoId; ++i) {
    const uint64_t child = static_cast<uint64_t>(LoadUnit(m, node).base) +
                           m.suffix_indicator.data[i];
    node = child < m.num_units && LoadUnit(m, child).check == node
               ? static_cast<uint32_t>(child)
               : kNoId;
  }
  if (m.suffix_root != node) {
    return "the suffix-indicator node " + std::to_string(m.suffix_root) +
           " is not where the indicator leads in the trie";
  }
  return "";
}

// Every word sits in the table once, within max_word_probes slots of where
// its hash lands, and at least one slot is empty.
std::string CheckWordSlots(const ModelView& m) {
  const uint32_t slots = m.word_slots.size;
  if (slots == 0) return "";
  if (m.num_words >= slots) {
    return "the word table has " + std::to_string(slots) + " slots for " +
           std::to_string(m.num_words) + " words: it needs an empty slot";
  }
  std::vector<bool> seen(m.num_words, false);
  for (uint32_t s = 0; s < slots; ++s) {
    const uint32_t id = m.word_slots.Get(s, kNoId);
    if (id == kNoId) continue;
    if (id >= m.num_words || seen[id]) {
      return "word slot " + std::to_string(s) + " holds id " + std::to_string(id) +
             (id >= m.num_words ? " >= num_words" : ", which another slot holds");
    }
    seen[id] = true;
    const uint32_t begin = m.word_offsets.Get(id, 0);
    const uint32_t end = m.word_offsets.Get(id + 1, 0);
    const uint64_t home = Fingerprint64(m.word_bytes.data + begin, end - begin);
    const uint32_t distance = (s - static_cast<uint32_t>(home)) & (slots - 1);
    if (distance >= m.max_word_probes) {
      return "word " + std::to_string(id) + " lies " + std::to_string(distance + 1) +
             " probes from its hash slot; the header allows " +
             std::to_string(m.max_word_probes);
    }
  }
  for (uint32_t id = 0; id < m.num_words; ++id) {
    if (!seen[id]) return "word " + std::to_string(id) + " is not in the word table";
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
    case ModelError::kOldVersion:
      return "model format version " + std::to_string(LoadU32(data + kFieldVersion)) +
             " was built by an older tf_dynemb (this build reads version " +
             std::to_string(kModelVersion) +
             "); rebuild it with tf_dynemb.build_model from the same vocabularies" + got;
    case ModelError::kBadVersion:
      return "model format version " + std::to_string(LoadU32(data + 4)) +
             " is not supported (this build reads version " +
             std::to_string(kModelVersion) +
             "); rebuild the model with tf_dynemb.build_model" + got;
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
  } else if (m.max_bytes_per_word == 0 || m.max_bytes_per_word > kMaxBytesPerWord) {
    problem = "max_bytes_per_word is " + std::to_string(m.max_bytes_per_word) +
              "; a model allows 1 to " + std::to_string(kMaxBytesPerWord);
  } else if (m.max_piece_bytes > kMaxPieceBytes + m.suffix_indicator.size) {
    problem = "the longest piece has " + std::to_string(m.max_piece_bytes) +
              " bytes; a model allows " + std::to_string(kMaxPieceBytes) +
              " plus the suffix indicator";
  } else if ((m.flags & ~kFlagComposeWords) != 0) {
    problem = "unknown flag bits " + Hex(m.flags & ~kFlagComposeWords) +
              " in the header (flags " + Hex(m.flags) + ")";
  } else if ((LoadU32(data + kFieldNgramLengths) & ~0xFFFFu) != 0) {
    problem = "the n-gram lengths field " + Hex(LoadU32(data + kFieldNgramLengths)) +
              " has bits set beyond min_n and max_n";
  } else if (m.num_ngram_buckets > 0 &&
             (m.min_n < 1 || m.min_n > m.max_n || m.max_n > kMaxNgramLength)) {
    problem = "n-gram lengths min_n=" + std::to_string(m.min_n) +
              ", max_n=" + std::to_string(m.max_n) + " are not within 1 <= min_n <= max_n <= " +
              std::to_string(kMaxNgramLength);
  } else if (m.unknown_row != kNoId &&
             (m.unknown_row < m.num_words ||
              m.unknown_row >= m.num_words + m.num_pieces)) {
    problem = "unknown row " + std::to_string(m.unknown_row) +
              " is not a piece row";
  } else {
    problem = CheckWordSlots(m);
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
