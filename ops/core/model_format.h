// The vocabulary model buffer: layout, and an O(1) bounds-checked view of it.
//
// Layout (little-endian, all u32 unless noted), version 3:
//   [0, 64)    header: magic "TFDE", version, checksum (Fingerprint64 of bytes
//              [16, size) as two u32), total size, counts, unknown row,
//              suffix-indicator trie node, longest piece, longest word probe,
//              n-gram buckets, n-gram lengths, flags.
//   [64, 120)  seven section references {offset, count}, see `Section`.
//   sections   word and piece strings (offsets + bytes), an open-addressing
//              table of word ids, and one double-array trie of every piece.
// Versions 1 and 2 (no n-gram fields) are refused: rebuild the model.
// ParseModel() checks only what makes every later access in-bounds; the full
// check (checksum, ids in range, every word and piece findable, the trie a
// tree) is ValidateModel().
#ifndef TF_DYNEMB_OPS_CORE_MODEL_FORMAT_H_
#define TF_DYNEMB_OPS_CORE_MODEL_FORMAT_H_

#include <cstdint>
#include <cstring>

#include "ops/core/portable.h"

namespace tf_dynemb {

constexpr uint32_t kModelMagic = 0x45444654u;  // "TFDE" read little-endian.
constexpr uint32_t kModelVersion = 3;
constexpr uint32_t kNoId = 0xFFFFFFFFu;
constexpr uint32_t kHeaderBytes = 64;
constexpr uint32_t kChecksumEnd = 16;  // The checksum covers [16, size).
constexpr uint32_t kMaxSuffixIndicatorBytes = 64;
constexpr uint32_t kMaxRows = 0x7FFFFFFFu;  // Row ids fit in int32.

enum Section : uint32_t {
  kSuffixIndicator = 0,  // bytes
  kWordOffsets,          // u32 x (num_words + 1)
  kWordBytes,            // bytes
  kPieceOffsets,         // u32 x (num_pieces + 1)
  kPieceBytes,           // bytes
  kWordSlots,            // u32 x power of two (0 when there are no words)
  kTrieUnits,            // TrieUnit (3 x u32) x num_units
  kNumSections
};

// One unit of the double-array trie. Unit 0 is the root. The child of unit n
// along byte b is unit c = base(n) + b when check(c) == n; value(c) is the
// piece spelled from the root to c, or kNoId. A unit has one parent (its
// check), and the root none, so every walk from the root is a simple path.
constexpr uint32_t kTrieUnitWords = 3;
enum TrieUnitField : uint32_t { kUnitBase = 0, kUnitCheck = 1, kUnitValue = 2 };
constexpr uint32_t kSectionTableBytes = kNumSections * 8;
constexpr uint32_t kModelPrefixBytes = kHeaderBytes + kSectionTableBytes;

// Header field offsets.
enum HeaderField : uint32_t {
  kFieldMagic = 0,
  kFieldVersion = 4,
  kFieldChecksumLo = 8,
  kFieldChecksumHi = 12,
  kFieldTotalSize = 16,
  kFieldNumWords = 20,
  kFieldNumPieces = 24,
  kFieldNumBuckets = 28,
  kFieldMaxBytesPerWord = 32,
  kFieldUnknownRow = 36,
  kFieldSuffixRoot = 40,
  kFieldMaxPieceBytes = 44,  // bytes of the longest piece: caps trie walks
  kFieldMaxWordProbes = 48,  // slots the longest word-table probe visits
  kFieldNumNgramBuckets = 52,
  kFieldNgramLengths = 56,  // min_n | max_n << 8, other bits 0
  kFieldFlags = 60,         // kFlagComposeWords; other bits 0
};

// Header flags.
constexpr uint32_t kFlagComposeWords = 1u;  // a listed word also pools S(w)

// Character n-grams are 1 to kMaxNgramLength characters long.
constexpr uint32_t kMaxNgramLength = 16;

enum class ModelError : int {
  kOk = 0,
  kTooSmall,
  kBadMagic,
  kOldVersion,  // built by an older tf_dynemb
  kBadVersion,
  kSizeMismatch,
  kSectionOutOfBounds,
  kSectionMisaligned,
  kInconsistentCounts,
  kTooManyRows,
};

TFDYNEMB_HD TFDYNEMB_INLINE uint32_t LoadU32(const uint8_t* p) {
#if defined(__CUDA_ARCH__)
  // Device buffers are checked for 4-byte alignment before launch.
  return *reinterpret_cast<const uint32_t*>(p);
#else
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
#endif
}

// A bounds-checked array of u32 inside the model buffer.
struct U32Span {
  const uint8_t* data = nullptr;
  uint32_t size = 0;
  TFDYNEMB_HD TFDYNEMB_INLINE uint32_t Get(uint32_t i, uint32_t fallback) const {
    return i < size ? LoadU32(data + 4ull * i) : fallback;
  }
};

// Bounds every valid model keeps: build_model refuses more and ValidateModel
// refuses buffers beyond them, so a split costs at most max_bytes_per_word x
// max_piece_bytes trie steps (255 x 320) whoever wrote the buffer. They are
// also what the stock-op path can represent (model_builder.cc says why).
constexpr uint32_t kMaxBytesPerWord = 255;
constexpr uint32_t kMaxPieceBytes = 256;  // not counting a leading suffix indicator

struct ByteSpan {
  const uint8_t* data = nullptr;
  uint32_t size = 0;
};

struct ModelView {
  uint32_t num_words = 0;
  uint32_t num_pieces = 0;
  uint32_t num_buckets = 0;
  uint32_t max_bytes_per_word = 0;
  uint32_t unknown_row = kNoId;  // Absolute row of the unknown token, or kNoId.
  uint32_t suffix_root = kNoId;  // Trie node of the suffix indicator, or kNoId.
  ByteSpan suffix_indicator;
  U32Span word_offsets;
  ByteSpan word_bytes;
  U32Span piece_offsets;
  ByteSpan piece_bytes;
  U32Span word_slots;
  U32Span trie;  // num_units x kTrieUnitWords
  uint32_t num_units = 0;
  uint32_t max_piece_bytes = 0;
  uint32_t max_word_probes = 0;
  uint32_t num_ngram_buckets = 0;  // G: rows after the oov buckets
  uint32_t min_n = 0;              // n-gram lengths, read when G > 0
  uint32_t max_n = 0;
  uint32_t flags = 0;

  TFDYNEMB_HD bool compose_words() const { return (flags & kFlagComposeWords) != 0; }
  TFDYNEMB_HD uint32_t ngram_offset() const {
    return num_words + num_pieces + num_buckets;
  }
  TFDYNEMB_HD uint32_t num_rows() const {
    return num_words + num_pieces + num_buckets + num_ngram_buckets;
  }
};

namespace internal {

TFDYNEMB_HD TFDYNEMB_INLINE bool SectionFits(const uint8_t* data, uint64_t size,
                                             uint32_t section,
                                             uint32_t elem_bytes,
                                             const uint8_t** begin,
                                             uint32_t* count) {
  const uint8_t* ref = data + kHeaderBytes + 8u * section;
  const uint64_t offset = LoadU32(ref);
  const uint64_t n = LoadU32(ref + 4);
  if (offset < kModelPrefixBytes || offset + n * elem_bytes > size) return false;
  *begin = data + offset;
  *count = static_cast<uint32_t>(n);
  return true;
}

}  // namespace internal

// Parses the header and section table. On success every span lies inside
// [data, data + size), so any access through the view's getters is safe.
TFDYNEMB_HD inline ModelError ParseModel(const uint8_t* data, uint64_t size,
                                         ModelView* view) {
  if (size < kModelPrefixBytes) return ModelError::kTooSmall;
  if (LoadU32(data + kFieldMagic) != kModelMagic) return ModelError::kBadMagic;
  const uint32_t version = LoadU32(data + kFieldVersion);
  if (version != kModelVersion) {
    return version < kModelVersion ? ModelError::kOldVersion : ModelError::kBadVersion;
  }
  if (LoadU32(data + kFieldTotalSize) != size) return ModelError::kSizeMismatch;
  ModelView v;
  v.num_words = LoadU32(data + kFieldNumWords);
  v.num_pieces = LoadU32(data + kFieldNumPieces);
  v.num_buckets = LoadU32(data + kFieldNumBuckets);
  v.max_bytes_per_word = LoadU32(data + kFieldMaxBytesPerWord);
  v.unknown_row = LoadU32(data + kFieldUnknownRow);
  v.suffix_root = LoadU32(data + kFieldSuffixRoot);
  v.max_piece_bytes = LoadU32(data + kFieldMaxPieceBytes);
  v.max_word_probes = LoadU32(data + kFieldMaxWordProbes);
  v.num_ngram_buckets = LoadU32(data + kFieldNumNgramBuckets);
  const uint32_t lengths = LoadU32(data + kFieldNgramLengths);
  v.min_n = lengths & 0xFF;
  v.max_n = (lengths >> 8) & 0xFF;
  v.flags = LoadU32(data + kFieldFlags);
  if (static_cast<uint64_t>(v.num_words) + v.num_pieces + v.num_buckets +
          v.num_ngram_buckets >
      kMaxRows) {
    return ModelError::kTooManyRows;
  }

  const uint8_t* begins[kNumSections];
  uint32_t counts[kNumSections];
  const uint32_t elem_bytes[kNumSections] = {1, 4, 1, 4, 1, 4, 4 * kTrieUnitWords};
  for (uint32_t s = 0; s < kNumSections; ++s) {
    if (!internal::SectionFits(data, size, s, elem_bytes[s], &begins[s],
                               &counts[s])) {
      return ModelError::kSectionOutOfBounds;
    }
    if (elem_bytes[s] % 4 == 0 && ((begins[s] - data) & 3) != 0) {
      return ModelError::kSectionMisaligned;
    }
  }
  const uint32_t slots = counts[kWordSlots];
  if (counts[kWordOffsets] != static_cast<uint64_t>(v.num_words) + 1 ||
      counts[kPieceOffsets] != static_cast<uint64_t>(v.num_pieces) + 1 ||
      (slots & (slots - 1)) != 0 || (v.num_words > 0 && slots == 0) ||
      v.max_word_probes > slots || counts[kTrieUnits] == 0 ||
      counts[kSuffixIndicator] == 0 ||
      counts[kSuffixIndicator] > kMaxSuffixIndicatorBytes) {
    return ModelError::kInconsistentCounts;
  }
  v.suffix_indicator = {begins[kSuffixIndicator], counts[kSuffixIndicator]};
  v.word_offsets = {begins[kWordOffsets], counts[kWordOffsets]};
  v.word_bytes = {begins[kWordBytes], counts[kWordBytes]};
  v.piece_offsets = {begins[kPieceOffsets], counts[kPieceOffsets]};
  v.piece_bytes = {begins[kPieceBytes], counts[kPieceBytes]};
  v.word_slots = {begins[kWordSlots], counts[kWordSlots]};
  v.trie = {begins[kTrieUnits], counts[kTrieUnits] * kTrieUnitWords};
  v.num_units = counts[kTrieUnits];
  *view = v;
  return ModelError::kOk;
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_MODEL_FORMAT_H_
