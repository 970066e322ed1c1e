// Maps one word to its embedding-table rows, following the lookup contract:
// PAD (empty) -> no rows; WORD -> its row; PIECES -> WordPiece rows; BUCKET ->
// Fingerprint64 bucket row; UNKNOWN -> the unknown token's row or no rows.
// Host and device run this same code.
#ifndef TF_DYNEMB_OPS_CORE_SEGMENTER_H_
#define TF_DYNEMB_OPS_CORE_SEGMENTER_H_

#include <cmath>
#include <cstdint>
#include <cstring>

#include "ops/core/fingerprint64.h"
#include "ops/core/model_format.h"
#include "ops/core/portable.h"

namespace tf_dynemb {

enum WordKind : int32_t {
  kPad = 0,
  kWord = 1,
  kPieces = 2,
  kBucket = 3,
  kUnknown = 4,
};

enum Combiner : int32_t { kMean = 0, kSum = 1, kSqrtN = 2 };

// How one word maps to rows. For kPieces, `num_rows` pieces follow and are
// produced by ForEachPieceRow; otherwise `row` is the only row, if any.
struct WordRows {
  int32_t kind = kPad;
  uint32_t num_rows = 0;
  uint32_t row = kNoId;
};

// The weight each of a word's m rows carries under `combiner`.
TFDYNEMB_HD TFDYNEMB_INLINE float CombinerWeight(int32_t combiner, uint32_t m) {
  if (m == 0) return 0.0f;
  if (combiner == kSum) return 1.0f;
  if (combiner == kSqrtN) return 1.0f / sqrtf(static_cast<float>(m));
  return 1.0f / static_cast<float>(m);
}

// a[0, len) == b[0, len). On the host, memcmp (no per-byte branch).
TFDYNEMB_HD TFDYNEMB_INLINE bool BytesEqual(const uint8_t* a, const uint8_t* b,
                                           uint64_t len) {
#if defined(__CUDA_ARCH__)
  uint64_t i = 0;
  while (i < len && a[i] == b[i]) ++i;
  return i == len;
#else
  return std::memcmp(a, b, len) == 0;
#endif
}

// Word id of `w` in the open-addressing table, or kNoId. At most
// max_word_probes slots are visited, whatever the buffer holds.
TFDYNEMB_HD inline uint32_t FindWord(const ModelView& m, const uint8_t* w,
                                     uint64_t len, uint64_t hash) {
  const uint32_t mask = m.word_slots.size - 1;
  for (uint32_t probe = 0; probe < m.max_word_probes; ++probe) {
    const uint32_t id = m.word_slots.Get((hash + probe) & mask, kNoId);
    if (id == kNoId) return kNoId;
    const uint32_t begin = m.word_offsets.Get(id, 1);
    const uint32_t end = m.word_offsets.Get(id + 1, 0);
    if (id >= m.num_words || begin > end || end > m.word_bytes.size ||
        end - begin != len) {
      continue;
    }
    if (BytesEqual(m.word_bytes.data + begin, w, len)) return id;
  }
  return kNoId;
}

// A trie unit read in one go (its three fields share a cache line or two).
struct TrieUnit {
  uint32_t base = 0;
  uint32_t check = kNoId;
  uint32_t value = kNoId;
};

TFDYNEMB_HD TFDYNEMB_INLINE TrieUnit LoadUnit(const ModelView& m, uint32_t unit) {
  TrieUnit u;
  if (unit < m.num_units) {
    const uint8_t* p = m.trie.data + 4ull * kTrieUnitWords * unit;
    u.base = LoadU32(p + 4 * kUnitBase);
    u.check = LoadU32(p + 4 * kUnitCheck);
    u.value = LoadU32(p + 4 * kUnitValue);
  }
  return u;
}

struct PieceMatch {
  uint32_t piece = kNoId;
  uint32_t length = 0;
};

// Longest piece spelled by s[0, len) from trie unit `start`, with at least
// `min_length` bytes. One unit read a byte; never more than max_piece_bytes
// steps, so a split costs O(len x longest piece) whatever the buffer holds.
TFDYNEMB_HD inline PieceMatch LongestPiece(const ModelView& m, uint32_t start,
                                           const uint8_t* s, uint32_t len,
                                           uint32_t min_length) {
  PieceMatch best;
  if (len > m.max_piece_bytes) len = m.max_piece_bytes;
  uint32_t node = start;
  TrieUnit unit = LoadUnit(m, node);
  for (uint32_t i = 0; i < len; ++i) {
    const uint64_t child = static_cast<uint64_t>(unit.base) + s[i];
    if (child >= m.num_units) break;
    unit = LoadUnit(m, static_cast<uint32_t>(child));
    if (unit.check != node) break;
    node = static_cast<uint32_t>(child);
    if (unit.value < m.num_pieces && i + 1 >= min_length) {
      best.piece = unit.value;
      best.length = i + 1;
    }
  }
  return best;
}

// Walks the WordPiece split of w (greedy longest-match-first, later pieces
// behind the suffix indicator) and calls visit(piece_id) for each piece as it
// is found. Returns the number of pieces, or 0 when the word cannot be split
// (pieces already visited then do not count).
// A word longer than the indicator that starts with it must open with a piece
// longer than the indicator: that is FastWordpieceTokenizer's behaviour.
template <typename Visit>
TFDYNEMB_HD inline uint32_t SplitPieces(const ModelView& m, const uint8_t* w,
                                        uint32_t len, Visit&& visit) {
  const uint32_t suffix_len = m.suffix_indicator.size;
  uint32_t first_min = 1;
  if (len > suffix_len) {
    uint32_t i = 0;
    while (i < suffix_len && w[i] == m.suffix_indicator.data[i]) ++i;
    if (i == suffix_len) first_min = suffix_len + 1;
  }
  uint32_t pos = 0, count = 0;
  while (pos < len) {
    PieceMatch match;
    if (pos == 0) {
      match = LongestPiece(m, 0, w, len, first_min);
    } else if (m.suffix_root != kNoId) {
      match = LongestPiece(m, m.suffix_root, w + pos, len - pos, 1);
    }
    if (match.length == 0) return 0;
    visit(match.piece);
    pos += match.length;
    ++count;
  }
  return count;
}

struct IgnoreRow {
  TFDYNEMB_HD void operator()(uint32_t) const {}
};

// The kind and rows of a non-empty w that is not a listed word (FindWord
// gave kNoId), given its Fingerprint64 `hash`; visit as in ClassifyWord.
template <typename Visit>
TFDYNEMB_HD inline WordRows ClassifyUnlisted(const ModelView& m, const uint8_t* w,
                                             uint64_t len, uint64_t hash,
                                             Visit&& visit) {
  WordRows out;
  if (m.num_pieces > 0 && len <= m.max_bytes_per_word) {
    const uint32_t offset = m.num_words;
    const uint32_t pieces = SplitPieces(
        m, w, static_cast<uint32_t>(len),
        [&](uint32_t piece) { visit(offset + piece); });
    if (pieces > 0) {
      out.kind = kPieces;
      out.num_rows = pieces;
      return out;
    }
  }
  if (m.num_buckets > 0) {
    out.kind = kBucket;
    out.num_rows = 1;
    out.row = m.num_words + m.num_pieces +
              static_cast<uint32_t>(hash % m.num_buckets);
    return out;
  }
  out.kind = kUnknown;
  if (m.unknown_row < m.num_rows()) {
    out.num_rows = 1;
    out.row = m.unknown_row;
  }
  return out;
}

// Decides the kind of w and, for single-row kinds, its row. For kPieces,
// visit(row) is called for each piece row as the split finds it (one walk);
// if the kind returned is not kPieces, rows visited so far are void.
template <typename Visit>
TFDYNEMB_HD inline WordRows ClassifyWord(const ModelView& m, const uint8_t* w,
                                         uint64_t len, Visit&& visit) {
  WordRows out;
  if (len == 0) return out;
  const uint64_t hash = Fingerprint64(w, len);
  const uint32_t word = FindWord(m, w, len, hash);
  if (word != kNoId) {
    out.kind = kWord;
    out.num_rows = 1;
    out.row = word;
    return out;
  }
  return ClassifyUnlisted(m, w, len, hash, visit);
}

TFDYNEMB_HD inline WordRows ClassifyWord(const ModelView& m, const uint8_t* w,
                                         uint64_t len) {
  return ClassifyWord(m, w, len, IgnoreRow());
}

// Calls visit(row) for every row of w, given its classification.
template <typename Visit>
TFDYNEMB_HD inline void ForEachRow(const ModelView& m, const uint8_t* w,
                                   uint64_t len, const WordRows& rows,
                                   Visit&& visit) {
  if (rows.kind == kPieces) {
    const uint32_t offset = m.num_words;
    SplitPieces(m, w, static_cast<uint32_t>(len),
                [&](uint32_t piece) { visit(offset + piece); });
  } else if (rows.num_rows == 1) {
    visit(rows.row);
  }
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_SEGMENTER_H_
