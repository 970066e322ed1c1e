#include "ops/core/model_builder.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>
#include <utility>

#include "ops/core/fingerprint64.h"
#include "ops/core/model_format.h"
#include "ops/core/text_format.h"

namespace tf_dynemb {
namespace {

const uint8_t* Bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

// Finds the first repeated string, if any.
const std::string_view* FindDuplicate(const std::vector<std::string_view>& v) {
  std::unordered_set<std::string_view> seen;
  seen.reserve(v.size());
  for (const auto& s : v) {
    if (!seen.insert(s).second) return &s;
  }
  return nullptr;
}

// A byte trie under construction: node 0 is the root.
struct TrieBuilder {
  std::vector<std::vector<std::pair<uint8_t, uint32_t>>> children{1};
  std::vector<uint32_t> value{kNoId};

  uint32_t Child(uint32_t node, uint8_t label, bool create) {
    for (const auto& edge : children[node]) {
      if (edge.first == label) return edge.second;
    }
    if (!create) return kNoId;
    const uint32_t child = static_cast<uint32_t>(value.size());
    children[node].emplace_back(label, child);
    children.emplace_back();
    value.push_back(kNoId);
    return child;
  }

  void Insert(std::string_view s, uint32_t id) {
    uint32_t node = 0;
    for (unsigned char c : s) node = Child(node, c, true);
    value[node] = id;
  }

  uint32_t Walk(std::string_view s) {
    uint32_t node = 0;
    for (unsigned char c : s) {
      node = Child(node, c, false);
      if (node == kNoId) return kNoId;
    }
    return node;
  }
};

// Free units of a growing double array: Next(i) is the first free unit >= i
// (union-find with path halving, so a search skips runs of used units).
class FreeUnits {
 public:
  uint32_t Next(uint32_t i) {
    Grow(i);
    while (next_[i] != i) {
      next_[i] = next_[next_[i]];
      i = next_[i];
      Grow(i);
    }
    return i;
  }
  bool IsFree(uint32_t i) { return Next(i) == i; }
  void Use(uint32_t i) {
    Grow(i + 1);
    next_[i] = i + 1;
  }

 private:
  void Grow(uint32_t i) {
    while (next_.size() <= i) next_.push_back(static_cast<uint32_t>(next_.size()));
  }
  std::vector<uint32_t> next_;
};

// Packs a trie into a double array (see TrieUnit in model_format.h), parents
// before children, each node's children at the first base where all fit.
std::vector<uint32_t> PackDoubleArray(TrieBuilder& trie, uint32_t* suffix_unit,
                                      uint32_t suffix_node) {
  std::vector<uint32_t> base{0}, check{kNoId}, value{trie.value[0]};
  FreeUnits free_units;
  free_units.Use(0);
  std::vector<uint32_t> unit_of(trie.value.size(), kNoId);
  unit_of[0] = 0;
  std::vector<uint32_t> queue{0};
  uint32_t units = 1;
  for (size_t q = 0; q < queue.size(); ++q) {
    const uint32_t node = queue[q];
    auto& kids = trie.children[node];
    if (kids.empty()) continue;
    std::sort(kids.begin(), kids.end());
    // Candidate bases put the first child on a free unit, after unit 0.
    const uint32_t first = kids[0].first;
    uint32_t b = free_units.Next(first + 1) - first;
    while (true) {
      bool fits = true;
      for (const auto& edge : kids) fits = fits && free_units.IsFree(b + edge.first);
      if (fits) break;
      b = free_units.Next(b + first + 1) - first;
    }
    if (base.size() < b + 256) {
      base.resize(b + 256, 0);
      check.resize(b + 256, kNoId);
      value.resize(b + 256, kNoId);
    }
    const uint32_t parent = unit_of[node];
    base[parent] = b;
    for (const auto& edge : kids) {
      const uint32_t unit = b + edge.first;
      free_units.Use(unit);
      check[unit] = parent;
      value[unit] = trie.value[edge.second];
      unit_of[edge.second] = unit;
      units = std::max(units, unit + 1);
      queue.push_back(edge.second);
    }
  }
  *suffix_unit = suffix_node == kNoId ? kNoId : unit_of[suffix_node];
  std::vector<uint32_t> packed(static_cast<size_t>(units) * kTrieUnitWords);
  for (uint32_t u = 0; u < units; ++u) {
    packed[u * kTrieUnitWords + kUnitBase] = base[u];
    packed[u * kTrieUnitWords + kUnitCheck] = check[u];
    packed[u * kTrieUnitWords + kUnitValue] = value[u];
  }
  return packed;
}

class Writer {
 public:
  Writer() : buf_(kModelPrefixBytes, '\0') {}

  void SetU32(uint32_t offset, uint32_t v) {
    std::memcpy(&buf_[offset], &v, sizeof(v));
  }

  // `count` elements of `elem_bytes` bytes each (default: one T each).
  template <typename T>
  void AddSection(Section section, const T* data, size_t count,
                  size_t elem_bytes = sizeof(T)) {
    buf_.resize((buf_.size() + 3) & ~size_t{3}, '\0');
    SetU32(kHeaderBytes + 8 * section, static_cast<uint32_t>(buf_.size()));
    SetU32(kHeaderBytes + 8 * section + 4, static_cast<uint32_t>(count));
    buf_.append(reinterpret_cast<const char*>(data), count * elem_bytes);
  }

  void AddStrings(Section offsets_section, Section bytes_section,
                  const std::vector<std::string_view>& strings) {
    std::vector<uint32_t> offsets{0};
    std::string bytes;
    for (const auto& s : strings) {
      bytes.append(s.data(), s.size());
      offsets.push_back(static_cast<uint32_t>(bytes.size()));
    }
    AddSection(offsets_section, offsets.data(), offsets.size());
    AddSection(bytes_section, bytes.data(), bytes.size());
  }

  std::string& buffer() { return buf_; }

 private:
  std::string buf_;
};

// Open addressing with linear probing, load at most 1/2. Sets *max_probes to
// the most slots any word's probe visits.
std::vector<uint32_t> BuildWordSlots(const std::vector<std::string_view>& w,
                                     uint32_t* max_probes) {
  *max_probes = 0;
  if (w.empty()) return {};
  size_t slots = 1;
  while (slots < 2 * w.size()) slots <<= 1;
  std::vector<uint32_t> table(slots, kNoId);
  for (uint32_t id = 0; id < w.size(); ++id) {
    size_t slot = Fingerprint64(Bytes(w[id]), w[id].size()) & (slots - 1);
    uint32_t probes = 1;
    while (table[slot] != kNoId) {
      slot = (slot + 1) & (slots - 1);
      ++probes;
    }
    table[slot] = id;
    *max_probes = std::max(*max_probes, probes);
  }
  return table;
}

// kMaxBytesPerWord and kMaxPieceBytes (model_format.h) are what the stock-op
// path (TF Text's FastWordpieceTokenizer) can represent: FastWordpiece refuses
// a vocabulary token of more than 256 bytes, not counting a leading suffix
// indicator, and the reference marks a failed split with an extra token
// longer than max_bytes_per_word (so no word that is split can contain it),
// hence max_bytes_per_word <= 255.

std::string CheckConfig(const ModelConfig& c) {
  if (c.num_oov_buckets < 0) {
    return "`num_oov_buckets` must be >= 0. Received: num_oov_buckets=" +
           std::to_string(c.num_oov_buckets);
  }
  if (c.max_bytes_per_word < 1 || c.max_bytes_per_word > kMaxBytesPerWord) {
    return "`max_bytes_per_word` must be in [1, 255] (longer words are "
           "hashed to a bucket, not split). Received: max_bytes_per_word=" +
           std::to_string(c.max_bytes_per_word);
  }
  if (c.suffix_indicator.empty() ||
      c.suffix_indicator.size() > kMaxSuffixIndicatorBytes ||
      c.suffix_indicator.find('\0') != std::string_view::npos) {
    return "`suffix_indicator` must have 1 to 64 bytes, none of them NUL. "
           "Received: suffix_indicator=" + QuoteBytes(c.suffix_indicator);
  }
  if (c.num_ngram_buckets < 0) {
    return "`num_ngram_buckets` must be >= 0. Received: num_ngram_buckets=" +
           std::to_string(c.num_ngram_buckets);
  }
  if (c.min_n < 1 || c.min_n > c.max_n || c.max_n > kMaxNgramLength) {
    return "`min_n` and `max_n` must satisfy 1 <= min_n <= max_n <= " +
           std::to_string(kMaxNgramLength) + ". Received: min_n=" + std::to_string(c.min_n) +
           ", max_n=" + std::to_string(c.max_n);
  }
  // Two counts below 2^63 and the sizes cannot overflow 64 bits.
  const uint64_t rows = c.words.size() + c.pieces.size() +
                        static_cast<uint64_t>(c.num_oov_buckets) +
                        static_cast<uint64_t>(c.num_ngram_buckets);
  if (rows > kMaxRows) {
    return "The model would have " + std::to_string(rows) + " rows (" +
           std::to_string(c.words.size()) + " words + " +
           std::to_string(c.pieces.size()) + " pieces + num_oov_buckets=" +
           std::to_string(c.num_oov_buckets) + " + num_ngram_buckets=" +
           std::to_string(c.num_ngram_buckets) + "); at most 2147483647 are allowed.";
  }
  for (size_t i = 0; i < c.words.size(); ++i) {
    if (c.words[i].empty()) {
      return "`words` must not contain the empty string (it is padding). "
             "Received: words[" + std::to_string(i) + "]=''";
    }
  }
  for (size_t i = 0; i < c.pieces.size(); ++i) {
    const auto& p = c.pieces[i];
    if (p.empty() || p.find('\0') != std::string_view::npos) {
      return "`pieces` must be non-empty and free of NUL bytes (as "
             "FastWordpieceTokenizer requires). Received: pieces[" +
             std::to_string(i) + "]=" + QuoteBytes(p);
    }
    const bool suffix = p.substr(0, c.suffix_indicator.size()) == c.suffix_indicator;
    const size_t body = p.size() - (suffix ? c.suffix_indicator.size() : 0);
    if (body > kMaxPieceBytes) {
      return "`pieces` may hold at most 256 bytes each, not counting a leading "
             "suffix indicator (FastWordpieceTokenizer's limit). Received: "
             "pieces[" + std::to_string(i) + "] of " + std::to_string(p.size()) +
             " bytes: " + QuoteBytes(p);
    }
  }
  if (const auto* dup = FindDuplicate(c.words)) {
    return "`words` must be unique. Received a repeated word: " +
           QuoteBytes(*dup);
  }
  if (const auto* dup = FindDuplicate(c.pieces)) {
    return "`pieces` must be unique. Received a repeated piece: " +
           QuoteBytes(*dup);
  }
  if (!c.unknown_token.empty() &&
      std::find(c.pieces.begin(), c.pieces.end(), c.unknown_token) ==
          c.pieces.end()) {
    return "`unknown_token` must be one of `pieces`. Received: unknown_token=" +
           QuoteBytes(c.unknown_token);
  }
  return "";
}

}  // namespace

std::string BuildModel(const ModelConfig& c, std::string* model) {
  std::string error = CheckConfig(c);
  if (!error.empty()) return error;

  const uint32_t num_words = static_cast<uint32_t>(c.words.size());
  const uint32_t num_pieces = static_cast<uint32_t>(c.pieces.size());
  TrieBuilder trie;
  uint32_t unknown_row = kNoId, max_piece_bytes = 0;
  for (uint32_t j = 0; j < num_pieces; ++j) {
    trie.Insert(c.pieces[j], j);
    if (c.pieces[j] == c.unknown_token) unknown_row = num_words + j;
    max_piece_bytes =
        std::max(max_piece_bytes, static_cast<uint32_t>(c.pieces[j].size()));
  }
  uint32_t suffix_root = kNoId;
  const std::vector<uint32_t> units =
      PackDoubleArray(trie, &suffix_root, trie.Walk(c.suffix_indicator));
  uint32_t max_word_probes = 0;
  const std::vector<uint32_t> slots = BuildWordSlots(c.words, &max_word_probes);

  Writer out;
  out.AddSection(kSuffixIndicator, c.suffix_indicator.data(),
                 c.suffix_indicator.size());
  out.AddStrings(kWordOffsets, kWordBytes, c.words);
  out.AddStrings(kPieceOffsets, kPieceBytes, c.pieces);
  out.AddSection(kWordSlots, slots.data(), slots.size());
  out.AddSection(kTrieUnits, units.data(), units.size() / kTrieUnitWords,
                 sizeof(uint32_t) * kTrieUnitWords);

  std::string& buf = out.buffer();
  if (buf.size() > 0xFFFFFFFFull) {
    return "The model would take " + std::to_string(buf.size()) +
           " bytes; at most 4294967295 are allowed.";
  }
  out.SetU32(kFieldMagic, kModelMagic);
  out.SetU32(kFieldVersion, kModelVersion);
  out.SetU32(kFieldTotalSize, static_cast<uint32_t>(buf.size()));
  out.SetU32(kFieldNumWords, num_words);
  out.SetU32(kFieldNumPieces, num_pieces);
  out.SetU32(kFieldNumBuckets, static_cast<uint32_t>(c.num_oov_buckets));
  out.SetU32(kFieldMaxBytesPerWord,
             static_cast<uint32_t>(c.max_bytes_per_word));
  out.SetU32(kFieldUnknownRow, unknown_row);
  out.SetU32(kFieldSuffixRoot, suffix_root);
  out.SetU32(kFieldMaxPieceBytes, max_piece_bytes);
  out.SetU32(kFieldMaxWordProbes, max_word_probes);
  out.SetU32(kFieldNumNgramBuckets, static_cast<uint32_t>(c.num_ngram_buckets));
  out.SetU32(kFieldNgramLengths,
             static_cast<uint32_t>(c.min_n) | (static_cast<uint32_t>(c.max_n) << 8));
  out.SetU32(kFieldFlags, c.compose_words ? kFlagComposeWords : 0u);
  SealModel(reinterpret_cast<uint8_t*>(buf.data()), buf.size());
  *model = std::move(buf);
  return "";
}

void SealModel(uint8_t* data, uint64_t size) {
  if (size < kChecksumEnd) return;
  const uint64_t checksum = Fingerprint64(data + kChecksumEnd, size - kChecksumEnd);
  const uint32_t lo = static_cast<uint32_t>(checksum);
  const uint32_t hi = static_cast<uint32_t>(checksum >> 32);
  std::memcpy(data + kFieldChecksumLo, &lo, sizeof(lo));
  std::memcpy(data + kFieldChecksumHi, &hi, sizeof(hi));
}

}  // namespace tf_dynemb
