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

class Writer {
 public:
  Writer() : buf_(kModelPrefixBytes, '\0') {}

  void SetU32(uint32_t offset, uint32_t v) {
    std::memcpy(&buf_[offset], &v, sizeof(v));
  }

  template <typename T>
  void AddSection(Section section, const T* data, size_t count) {
    buf_.resize((buf_.size() + 3) & ~size_t{3}, '\0');
    SetU32(kHeaderBytes + 8 * section, static_cast<uint32_t>(buf_.size()));
    SetU32(kHeaderBytes + 8 * section + 4, static_cast<uint32_t>(count));
    buf_.append(reinterpret_cast<const char*>(data), count * sizeof(T));
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

std::vector<uint32_t> BuildWordSlots(const std::vector<std::string_view>& w) {
  if (w.empty()) return {};
  size_t slots = 1;
  while (slots < 2 * w.size()) slots <<= 1;
  std::vector<uint32_t> table(slots, kNoId);
  for (uint32_t id = 0; id < w.size(); ++id) {
    size_t slot = Fingerprint64(Bytes(w[id]), w[id].size()) & (slots - 1);
    while (table[slot] != kNoId) slot = (slot + 1) & (slots - 1);
    table[slot] = id;
  }
  return table;
}

// Bounds of what the stock-op path (TF Text's FastWordpieceTokenizer) can
// represent; they also bound the segmenter's work per word, which is at most
// (word bytes) x (longest piece) trie steps: 255 x 320.
//
// FastWordpiece refuses a vocabulary token of more than 256 bytes, not
// counting a leading suffix indicator. The reference marks a failed split
// with an extra token longer than max_bytes_per_word (so no word that is
// split can contain it), hence max_bytes_per_word <= 255.
constexpr int64_t kMaxBytesPerWord = 255;
constexpr size_t kMaxPieceBytes = 256;

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
  const uint64_t rows = c.words.size() + c.pieces.size() +
                        static_cast<uint64_t>(c.num_oov_buckets);
  if (rows > kMaxRows) {
    return "The model would have " + std::to_string(rows) + " rows (" +
           std::to_string(c.words.size()) + " words + " +
           std::to_string(c.pieces.size()) + " pieces + num_oov_buckets=" +
           std::to_string(c.num_oov_buckets) +
           "); at most 2147483647 are allowed.";
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
  uint32_t unknown_row = kNoId;
  for (uint32_t j = 0; j < num_pieces; ++j) {
    trie.Insert(c.pieces[j], j);
    if (c.pieces[j] == c.unknown_token) unknown_row = num_words + j;
  }

  // Flatten the trie: children contiguous and sorted by label.
  std::vector<uint32_t> child_begin{0}, edge_target;
  std::vector<uint8_t> edge_label;
  for (auto& kids : trie.children) {
    std::sort(kids.begin(), kids.end());
    for (const auto& edge : kids) {
      edge_label.push_back(edge.first);
      edge_target.push_back(edge.second);
    }
    child_begin.push_back(static_cast<uint32_t>(edge_label.size()));
  }
  const std::vector<uint32_t> slots = BuildWordSlots(c.words);

  Writer out;
  out.AddSection(kSuffixIndicator, c.suffix_indicator.data(),
                 c.suffix_indicator.size());
  out.AddStrings(kWordOffsets, kWordBytes, c.words);
  out.AddStrings(kPieceOffsets, kPieceBytes, c.pieces);
  out.AddSection(kWordSlots, slots.data(), slots.size());
  out.AddSection(kNodeChildBegin, child_begin.data(), child_begin.size());
  out.AddSection(kNodeValue, trie.value.data(), trie.value.size());
  out.AddSection(kEdgeLabel, edge_label.data(), edge_label.size());
  out.AddSection(kEdgeTarget, edge_target.data(), edge_target.size());

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
  out.SetU32(kFieldSuffixRoot, trie.Walk(c.suffix_indicator));
  const uint64_t checksum =
      Fingerprint64(Bytes(buf) + kChecksumEnd, buf.size() - kChecksumEnd);
  out.SetU32(kFieldChecksumLo, static_cast<uint32_t>(checksum));
  out.SetU32(kFieldChecksumHi, static_cast<uint32_t>(checksum >> 32));
  *model = std::move(buf);
  return "";
}

}  // namespace tf_dynemb
