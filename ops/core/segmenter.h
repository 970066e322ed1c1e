// Maps one word to its embedding-table rows, following the lookup contract
// (docs/design.md): PAD (empty) -> no rows; WORD -> its row (++ S(w) when the
// model composes words); PIECES -> P(w) ++ N(w); NGRAMS -> N(w); BUCKET ->
// Fingerprint64 bucket row; UNKNOWN -> the unknown token's row or no rows.
// P(w) are WordPiece rows, N(w) character n-gram rows. Host and device run
// this same code.
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
  kNgrams = 5,
};

enum Combiner : int32_t { kMean = 0, kSum = 1, kSqrtN = 2 };

// How one word maps to rows: `row` (the word, bucket or unknown row, or
// kNoId), then num_pieces rows of P(w), then num_ngrams rows of N(w).
struct WordRows {
  int32_t kind = kPad;
  uint32_t num_rows = 0;
  uint32_t row = kNoId;
  uint32_t num_pieces = 0;
  uint32_t num_ngrams = 0;
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

// Rows a sink of rows receives, in order: Add(row); Size(); Truncate(size)
// (undoes the Adds after `size`). A sink with kListsRows false only counts:
// n-gram rows are then counted without hashing each n-gram.
struct RowCounter {
  static constexpr bool kListsRows = false;
  uint64_t size = 0;
  TFDYNEMB_HD void Add(uint32_t) { ++size; }
  TFDYNEMB_HD uint64_t Size() const { return size; }
  TFDYNEMB_HD void Truncate(uint64_t s) { size = s; }
};

// The bounded word "<" + w + ">" of a word of at most kMaxBytesPerWord bytes,
// cut into characters: a character starts at every byte that is not a UTF-8
// continuation byte (b & 0xC0 != 0x80); continuation bytes belong to the
// character before them. Character c is bytes [starts[c], starts[c + 1]).
struct BoundedWord {
  uint8_t bytes[kMaxBytesPerWord + 2];
  uint16_t starts[kMaxBytesPerWord + 3];
  uint32_t num_chars = 0;

  TFDYNEMB_HD TFDYNEMB_INLINE static bool StartsCharacter(uint8_t b) {
    return (b & 0xC0) != 0x80;
  }
  // len <= kMaxBytesPerWord (the caller checks).
  TFDYNEMB_HD void Cut(const uint8_t* w, uint32_t len) {
    bytes[0] = '<';
    for (uint32_t i = 0; i < len; ++i) bytes[i + 1] = w[i];
    bytes[len + 1] = '>';
    num_chars = 0;
    for (uint32_t i = 0; i < len + 2; ++i) {
      if (StartsCharacter(bytes[i])) starts[num_chars++] = static_cast<uint16_t>(i);
    }
    starts[num_chars] = static_cast<uint16_t>(len + 2);
  }
};

// Whether w has n-gram rows at all: G > 0 and len(w) <= max_bytes_per_word
// (and within the bounded word's buffer, whatever an unvalidated header says).
TFDYNEMB_HD TFDYNEMB_INLINE bool HasNgrams(const ModelView& m, uint64_t len) {
  return m.num_ngram_buckets > 0 && len <= m.max_bytes_per_word && len <= kMaxBytesPerWord;
}

// The number of n-grams, min_n to max_n characters, of a bounded word of
// `chars` characters: max(0, chars - n + 1) for each n.
TFDYNEMB_HD TFDYNEMB_INLINE uint32_t NgramsOf(const ModelView& m, uint32_t chars) {
  uint32_t count = 0;
  for (uint32_t n = m.min_n < 1 ? 1 : m.min_n; n <= m.max_n && n <= chars; ++n) {
    count += chars - n + 1;
  }
  return count;
}

// |N(w)|, counted without hashing.
TFDYNEMB_HD inline uint32_t CountNgramRows(const ModelView& m, const uint8_t* w,
                                           uint64_t len) {
  if (!HasNgrams(m, len)) return 0;
  uint32_t chars = 2;  // the markers
  for (uint64_t i = 0; i < len; ++i) chars += BoundedWord::StartsCharacter(w[i]);
  return NgramsOf(m, chars);
}

// Calls visit(row) for each row of N(w): the n-grams of the bounded word,
// by length n from min_n to max_n, then by start; row = ngram_offset +
// Fingerprint64(n-gram bytes) mod G (tf.strings.to_hash_bucket_fast). Returns
// their number.
template <typename Visit>
TFDYNEMB_HD inline uint32_t ForEachNgramRow(const ModelView& m, const uint8_t* w,
                                            uint64_t len, Visit&& visit) {
  if (!HasNgrams(m, len)) return 0;
  BoundedWord b;
  b.Cut(w, static_cast<uint32_t>(len));
  const uint32_t offset = m.ngram_offset();
  uint32_t count = 0;
  for (uint32_t n = m.min_n < 1 ? 1 : m.min_n; n <= m.max_n && n <= b.num_chars; ++n) {
    for (uint32_t c = 0; c + n <= b.num_chars; ++c) {
      const uint32_t begin = b.starts[c];
      const uint64_t hash = Fingerprint64(b.bytes + begin, b.starts[c + n] - begin);
      visit(offset + static_cast<uint32_t>(hash % m.num_ngram_buckets));
      ++count;
    }
  }
  return count;
}

// Adds offset + id to a sink for each id visited.
template <typename Sink>
struct AddToSink {
  Sink* sink;
  uint32_t offset;
  TFDYNEMB_HD_TEMPLATE
  TFDYNEMB_HD void operator()(uint32_t id) const { sink->Add(offset + id); }
};

// Adds P(w), the piece rows of w, to `sink` when w splits (nothing when it
// does not, or pieces are empty, or w is longer than max_bytes_per_word).
// Returns their number.
TFDYNEMB_HD_TEMPLATE
template <typename Sink>
TFDYNEMB_HD inline uint32_t AddPieceRows(const ModelView& m, const uint8_t* w, uint64_t len,
                                         Sink& sink) {
  if (m.num_pieces == 0 || len > m.max_bytes_per_word) return 0;
  const uint64_t start = sink.Size();
  const uint32_t offset = m.num_words;
  const uint32_t pieces =
      SplitPieces(m, w, static_cast<uint32_t>(len), AddToSink<Sink>{&sink, offset});
  if (pieces == 0) sink.Truncate(start);
  return pieces;
}

// Adds N(w) to `sink`; returns their number.
TFDYNEMB_HD_TEMPLATE
template <typename Sink>
TFDYNEMB_HD inline uint32_t AddNgramRows(const ModelView& m, const uint8_t* w, uint64_t len,
                                         Sink& sink) {
  if constexpr (Sink::kListsRows) {
    return ForEachNgramRow(m, w, len, AddToSink<Sink>{&sink, 0});
  } else {
    const uint32_t count = CountNgramRows(m, w, len);
    sink.size += count;
    return count;
  }
}

TFDYNEMB_HD TFDYNEMB_INLINE void CountRows(WordRows* out) {
  out->num_rows = (out->row != kNoId ? 1 : 0) + out->num_pieces + out->num_ngrams;
}

// A listed word (id `word`): its row, then S(w) when the model composes words.
TFDYNEMB_HD_TEMPLATE
template <typename Sink>
TFDYNEMB_HD inline WordRows ListedWordRows(const ModelView& m, const uint8_t* w, uint64_t len,
                                           uint32_t word, Sink& sink) {
  WordRows out;
  out.kind = kWord;
  out.row = word;
  sink.Add(word);
  if (m.compose_words()) {
    out.num_pieces = AddPieceRows(m, w, len, sink);
    out.num_ngrams = AddNgramRows(m, w, len, sink);
  }
  CountRows(&out);
  return out;
}

// The kind and rows of a non-empty w that is not a listed word (FindWord
// gave kNoId), given its Fingerprint64 `hash`: PIECES (P(w) ++ N(w)), else
// NGRAMS (N(w)), else BUCKET, else UNKNOWN. Its rows go to `sink`.
TFDYNEMB_HD_TEMPLATE
template <typename Sink>
TFDYNEMB_HD inline WordRows ClassifyUnlisted(const ModelView& m, const uint8_t* w,
                                             uint64_t len, uint64_t hash, Sink& sink) {
  WordRows out;
  out.num_pieces = AddPieceRows(m, w, len, sink);
  out.num_ngrams = AddNgramRows(m, w, len, sink);
  if (out.num_pieces > 0) {
    out.kind = kPieces;
  } else if (out.num_ngrams > 0) {
    out.kind = kNgrams;
  } else if (m.num_buckets > 0) {
    out.kind = kBucket;
    out.row = m.num_words + m.num_pieces + static_cast<uint32_t>(hash % m.num_buckets);
    sink.Add(out.row);
  } else {
    out.kind = kUnknown;
    if (m.unknown_row < m.num_rows()) {
      out.row = m.unknown_row;
      sink.Add(out.row);
    }
  }
  CountRows(&out);
  return out;
}

// Decides the kind of w and sends its rows to `sink`, in the order
// ForEachRow visits them.
TFDYNEMB_HD_TEMPLATE
template <typename Sink>
TFDYNEMB_HD inline WordRows ClassifyWord(const ModelView& m, const uint8_t* w, uint64_t len,
                                         Sink& sink) {
  if (len == 0) return WordRows();
  const uint64_t hash = Fingerprint64(w, len);
  const uint32_t word = FindWord(m, w, len, hash);
  if (word != kNoId) return ListedWordRows(m, w, len, word, sink);
  return ClassifyUnlisted(m, w, len, hash, sink);
}

// The kind of w and how many rows of each part it has (rows counted, not
// listed: see ForEachRow).
TFDYNEMB_HD inline WordRows ClassifyWord(const ModelView& m, const uint8_t* w, uint64_t len) {
  RowCounter counter;
  return ClassifyWord(m, w, len, counter);
}

// Calls visit(row) for every row of w, given its classification: the word,
// bucket or unknown row, then P(w), then N(w).
template <typename Visit>
TFDYNEMB_HD inline void ForEachRow(const ModelView& m, const uint8_t* w, uint64_t len,
                                   const WordRows& rows, Visit&& visit) {
  if (rows.row != kNoId) visit(rows.row);
  if (rows.num_pieces > 0) {
    const uint32_t offset = m.num_words;
    SplitPieces(m, w, static_cast<uint32_t>(len),
                [&](uint32_t piece) { visit(offset + piece); });
  }
  if (rows.num_ngrams > 0) ForEachNgramRow(m, w, len, visit);
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_SEGMENTER_H_
