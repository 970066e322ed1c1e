// Tests of the TensorFlow-free core: hashing, building, validation, splitting.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ops/core/fingerprint64.h"
#include "ops/core/model_builder.h"
#include "ops/core/model_validator.h"
#include "ops/core/pooling.h"
#include "ops/core/segmenter.h"

namespace tf_dynemb {
namespace {

uint64_t Fp(const std::string& s) {
  return Fingerprint64(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

ModelView MustBuild(const ModelConfig& config, std::string* buffer) {
  EXPECT_EQ(BuildModel(config, buffer), "");
  ModelView view;
  EXPECT_EQ(ValidateModel(reinterpret_cast<const uint8_t*>(buffer->data()),
                          buffer->size(), &view),
            "");
  return view;
}

WordRows Classify(const ModelView& m, const std::string& w) {
  return ClassifyWord(m, reinterpret_cast<const uint8_t*>(w.data()), w.size());
}

std::vector<uint32_t> Rows(const ModelView& m, const std::string& w) {
  std::vector<uint32_t> rows;
  const auto* bytes = reinterpret_cast<const uint8_t*>(w.data());
  ForEachRow(m, bytes, w.size(), ClassifyWord(m, bytes, w.size()),
             [&](uint32_t r) { rows.push_back(r); });
  return rows;
}

// Values from tf.fingerprint (TensorFlow 2.21), one per length class of the
// algorithm: 0, 1-3, 4-7, 8-16, 17-32, 33-64 and > 64 bytes.
TEST(Fingerprint64Test, MatchesTensorFlow) {
  EXPECT_EQ(Fp(""), 0x9ae16a3b2f90404fULL);
  EXPECT_EQ(Fp("a"), 0xb3454265b6df75e3ULL);
  EXPECT_EQ(Fp("abcd"), 0x1a5502de4a1f8101ULL);
  EXPECT_EQ(Fp("hello world!"), 0x3f87e91e111fcf64ULL);
  EXPECT_EQ(Fp(std::string(20, 'x')), 0x7241ce1f8ef74dc4ULL);
  EXPECT_EQ(Fp(std::string(40, 'y')), 0x03d596369a03cfdeULL);
  EXPECT_EQ(Fp(std::string(300, 'z')), 0x8200e58ff4c43c73ULL);
}

ModelConfig SmallConfig() {
  ModelConfig c;
  c.words = {"the", "cat"};
  c.pieces = {"un", "##aff", "##able", "aff", "[UNK]", "##"};
  c.num_oov_buckets = 3;
  return c;
}

TEST(SegmenterTest, FollowsTheContract) {
  std::string buffer;
  const ModelView m = MustBuild(SmallConfig(), &buffer);
  EXPECT_EQ(m.num_rows(), 2u + 6u + 3u);
  EXPECT_EQ(Classify(m, "").kind, kPad);
  EXPECT_EQ(Classify(m, "cat").kind, kWord);
  EXPECT_EQ(Rows(m, "cat"), std::vector<uint32_t>({1}));
  EXPECT_EQ(Classify(m, "unaffable").kind, kPieces);
  EXPECT_EQ(Rows(m, "unaffable"), std::vector<uint32_t>({2, 3, 4}));
  const WordRows bucket = Classify(m, "zebra");
  EXPECT_EQ(bucket.kind, kBucket);
  EXPECT_EQ(bucket.row, 8u + Fp("zebra") % 3);
}

TEST(SegmenterTest, IndicatorPrefixedWordNeedsLongFirstPiece) {
  ModelConfig c;
  c.pieces = {"#", "###a"};
  std::string buffer;
  const ModelView m = MustBuild(c, &buffer);
  // Plain greedy matching would give ["#", "###a"]; FastWordpiece gives none.
  EXPECT_EQ(Classify(m, "##a").kind, kUnknown);
  // The word equal to the indicator itself is split as usual.
  c.pieces = {"#", "###"};
  const ModelView m2 = MustBuild(c, &buffer);
  EXPECT_EQ(Rows(m2, "##"), std::vector<uint32_t>({0, 1}));
}

TEST(SegmenterTest, LongWordsSkipPiecesAndUnknownTokenApplies) {
  ModelConfig c;
  c.pieces = {"a", "##a", "[UNK]"};
  c.max_bytes_per_word = 3;
  c.unknown_token = "[UNK]";
  std::string buffer;
  const ModelView m = MustBuild(c, &buffer);
  EXPECT_EQ(Classify(m, "aaa").kind, kPieces);
  const WordRows rows = Classify(m, "aaaa");
  EXPECT_EQ(rows.kind, kUnknown);
  EXPECT_EQ(rows.row, 2u);
}

TEST(PoolingTest, CombinersWeighRows) {
  std::string buffer;
  const ModelView m = MustBuild(SmallConfig(), &buffer);
  std::vector<float> table(m.num_rows() * 2);
  for (size_t i = 0; i < table.size(); ++i) table[i] = static_cast<float>(i);
  float acc[2], out[2];
  const std::string w = "unaffable";  // rows 2, 3, 4
  const auto* bytes = reinterpret_cast<const uint8_t*>(w.data());
  EXPECT_EQ(EmbedWord(m, bytes, w.size(), kSum, table.data(), 2, acc, out),
            kPieces);
  EXPECT_FLOAT_EQ(out[0], 4 + 6 + 8);
  EmbedWord(m, bytes, w.size(), kMean, table.data(), 2, acc, out);
  EXPECT_FLOAT_EQ(out[1], (5 + 7 + 9) / 3.0f);
  EmbedWord(m, bytes, w.size(), kSqrtN, table.data(), 2, acc, out);
  EXPECT_FLOAT_EQ(out[0], 18 / std::sqrt(3.0f));
}

TEST(BuilderTest, RejectsBadVocabularies) {
  ModelConfig c = SmallConfig();
  std::string buffer;
  c.words = {"a", "a"};
  EXPECT_NE(BuildModel(c, &buffer).find("repeated word: 'a'"), std::string::npos);
  c = SmallConfig();
  c.pieces.push_back(std::string("x\0y", 3));
  EXPECT_NE(BuildModel(c, &buffer).find("NUL"), std::string::npos);
  c = SmallConfig();
  c.unknown_token = "missing";
  EXPECT_NE(BuildModel(c, &buffer).find("unknown_token='missing'"),
            std::string::npos);
  c = SmallConfig();
  c.num_oov_buckets = -1;
  EXPECT_NE(BuildModel(c, &buffer).find("num_oov_buckets=-1"), std::string::npos);
}

TEST(ValidatorTest, EveryTruncationAndMutationIsRejectedOrSafe) {
  std::string buffer;
  const ModelView good = MustBuild(SmallConfig(), &buffer);
  ModelView view;
  for (size_t n = 0; n < buffer.size(); ++n) {
    EXPECT_NE(ValidateModel(reinterpret_cast<const uint8_t*>(buffer.data()), n,
                            &view),
              "")
        << "truncated to " << n;
  }
  std::mt19937 rng(42);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string damaged = buffer;
    const size_t at = rng() % damaged.size();
    const char flip = static_cast<char>(1 + rng() % 255);
    damaged[at] ^= flip;
    const auto* bytes = reinterpret_cast<const uint8_t*>(damaged.data());
    EXPECT_NE(ValidateModel(bytes, damaged.size(), &view), "") << "byte " << at;
    // Even unvalidated, a parsed view never yields rows out of range.
    ModelView raw;
    if (ParseModel(bytes, damaged.size(), &raw) == ModelError::kOk) {
      for (const std::string w : {"the", "unaffable", "zebra", "##", "aff"}) {
        const auto* wb = reinterpret_cast<const uint8_t*>(w.data());
        ForEachRow(raw, wb, w.size(), ClassifyWord(raw, wb, w.size()),
                   [&](uint32_t r) { EXPECT_LT(r, raw.num_rows()); });
      }
    }
  }
  (void)good;
}

// Greedy longest-match-first over a std::string vocabulary: the oracle of the
// trie walk (with FastWordpiece's rule for indicator-prefixed words).
std::vector<uint32_t> NaiveSplit(const std::vector<std::string>& pieces,
                                 const std::string& suffix, const std::string& w) {
  std::vector<uint32_t> out;
  size_t pos = 0;
  const bool starts_with_suffix =
      w.size() > suffix.size() && w.compare(0, suffix.size(), suffix) == 0;
  while (pos < w.size()) {
    const std::string prefix = pos == 0 ? "" : suffix;
    uint32_t best = kNoId;
    size_t best_len = 0;
    for (uint32_t j = 0; j < pieces.size(); ++j) {
      const std::string& p = pieces[j];
      if (p.size() <= prefix.size() || p.compare(0, prefix.size(), prefix) != 0) continue;
      const size_t len = p.size() - prefix.size();
      if (len <= best_len || w.compare(pos, len, p, prefix.size(), len) != 0) continue;
      if (pos == 0 && starts_with_suffix && len <= suffix.size()) continue;
      best = j;
      best_len = len;
    }
    if (best == kNoId) return {};
    out.push_back(best);
    pos += best_len;
  }
  return out;
}

TEST(SegmenterTest, DoubleArrayTrieMatchesNaiveSplitting) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("ab#") + "\xc3\xa9\xff";
  auto random_string = [&](size_t max_len) {
    std::string s(1 + rng() % max_len, 'a');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int vocab = 0; vocab < 40; ++vocab) {
    std::vector<std::string> pieces;
    for (int i = 0; i < 60; ++i) {
      std::string p = random_string(5);
      if (rng() % 2) p = "##" + p;
      if (std::find(pieces.begin(), pieces.end(), p) == pieces.end()) pieces.push_back(p);
    }
    ModelConfig c;
    for (const auto& p : pieces) c.pieces.push_back(p);
    c.max_bytes_per_word = 12;
    std::string buffer;
    const ModelView m = MustBuild(c, &buffer);
    for (int trial = 0; trial < 300; ++trial) {
      const std::string w = random_string(12);
      std::vector<uint32_t> expected;
      for (uint32_t piece : NaiveSplit(pieces, "##", w)) expected.push_back(piece);
      std::vector<uint32_t> got = Rows(m, w);
      if (Classify(m, w).kind != kPieces) got.clear();
      EXPECT_EQ(got, expected) << "word " << w;
    }
  }
}

// Recomputes a hand-edited buffer's checksum, so that validation reaches the
// structural checks.
void Reseal(std::string* buffer) {
  SealModel(reinterpret_cast<uint8_t*>(buffer->data()), buffer->size());
}

void SetU32At(std::string* buffer, size_t at, uint32_t v) {
  std::memcpy(&(*buffer)[at], &v, 4);
}

uint32_t SectionOffset(const std::string& buffer, Section s) {
  return LoadU32(reinterpret_cast<const uint8_t*>(buffer.data()) + kHeaderBytes + 8 * s);
}

std::string Validate(const std::string& buffer, ModelView* view) {
  return ValidateModel(reinterpret_cast<const uint8_t*>(buffer.data()), buffer.size(),
                       view);
}

TEST(ValidatorTest, RejectsTheOldFormatVersion) {
  std::string buffer;
  MustBuild(SmallConfig(), &buffer);
  SetU32At(&buffer, kFieldVersion, 1);
  ModelView view;
  EXPECT_NE(Validate(buffer, &view).find("version 1 was built by an older tf_dynemb (this "
                                         "build reads version 3); rebuild it"),
            std::string::npos);
}

TEST(ValidatorTest, RejectsATrieCycleAndBoundsWalksOverOne) {
  ModelConfig c;
  c.pieces = {"a", "##a"};
  c.num_oov_buckets = 1;
  std::string buffer;
  MustBuild(c, &buffer);
  // Unit 'a' (the root's child along 'a') leads back to the root along byte
  // 0: root -> a -> root -> a ... for the word "a\0a\0...".
  const uint32_t trie = SectionOffset(buffer, kTrieUnits);
  const uint32_t unit_a = 'a';  // the root's base is 0 or more; read it
  const uint32_t root_base = LoadU32(reinterpret_cast<const uint8_t*>(buffer.data()) + trie);
  const uint32_t a = root_base + unit_a;
  SetU32At(&buffer, trie + 12 * a + 4 * kUnitBase, 0);
  SetU32At(&buffer, trie + 4 * kUnitCheck, a);
  Reseal(&buffer);
  ModelView view;
  EXPECT_NE(Validate(buffer, &view).find("cycle"), std::string::npos);
  // Unvalidated, the walk still stops after the longest piece's 3 bytes.
  ModelView raw;
  ASSERT_EQ(ParseModel(reinterpret_cast<const uint8_t*>(buffer.data()), buffer.size(), &raw),
            ModelError::kOk);
  std::string word;
  for (int i = 0; i < (1 << 19); ++i) word += std::string("a\0", 2);
  EXPECT_EQ(Classify(raw, word).kind, kBucket);
}

TEST(ValidatorTest, RejectsAWordTableWithoutAnEmptySlot) {
  ModelConfig c;
  c.words = {"w"};
  std::string buffer;
  MustBuild(c, &buffer);
  // One slot holding the only word: a full table.
  SetU32At(&buffer, kHeaderBytes + 8 * kWordSlots + 4, 1);
  SetU32At(&buffer, SectionOffset(buffer, kWordSlots), 0);
  Reseal(&buffer);
  ModelView view;
  EXPECT_NE(Validate(buffer, &view).find("needs an empty slot"), std::string::npos);
  ModelView raw;
  ASSERT_EQ(ParseModel(reinterpret_cast<const uint8_t*>(buffer.data()), buffer.size(), &raw),
            ModelError::kOk);
  EXPECT_EQ(Classify(raw, "w").kind, kWord);
  EXPECT_EQ(Classify(raw, "missing").kind, kUnknown);
}

TEST(ValidatorTest, RejectsWrongProbeAndPieceBounds) {
  ModelConfig c = SmallConfig();
  std::string buffer, damaged;
  MustBuild(c, &buffer);
  ModelView view;
  damaged = buffer;
  SetU32At(&damaged, kFieldMaxWordProbes, 0);
  Reseal(&damaged);
  EXPECT_NE(Validate(damaged, &view).find("probes from its hash slot"), std::string::npos);
  damaged = buffer;
  SetU32At(&damaged, kFieldMaxWordProbes, 1000);  // more than the table's slots
  Reseal(&damaged);
  EXPECT_NE(Validate(damaged, &view).find("disagree with the header"), std::string::npos);
  damaged = buffer;
  SetU32At(&damaged, kFieldMaxPieceBytes, 3);  // "##able" has 6 bytes
  Reseal(&damaged);
  EXPECT_NE(Validate(damaged, &view).find("longest piece of 3 bytes"), std::string::npos);
  damaged = buffer;
  SetU32At(&damaged, kFieldSuffixRoot, 0);
  Reseal(&damaged);
  EXPECT_NE(Validate(damaged, &view).find("suffix-indicator node"), std::string::npos);
}

TEST(ValidatorTest, RefusesPiecesLongerThanAModelAllows) {
  ModelConfig c;
  c.pieces = {"a", "##a"};
  std::string buffer;
  MustBuild(c, &buffer);
  SetU32At(&buffer, kFieldMaxPieceBytes, 300);
  Reseal(&buffer);
  ModelView view;
  EXPECT_NE(Validate(buffer, &view).find("the longest piece has 300 bytes; a model allows 256 "
                                         "plus the suffix indicator"),
            std::string::npos);
}

TEST(ValidatorTest, SplitWorkIsBoundedByTheLongestPiece) {
  // Each walk stops after the longest piece (3 bytes), so a 1 MiB word of
  // "a"s costs about 3 unit reads a byte, not a walk to its end each time.
  // build_model caps max_bytes_per_word at 255 and the validator refuses a
  // hand-made buffer that does not; an unvalidated view stays bounded.
  ModelConfig c;
  c.pieces = {"a", "##a"};
  c.max_bytes_per_word = 255;
  std::string buffer;
  MustBuild(c, &buffer);
  SetU32At(&buffer, kFieldMaxBytesPerWord, 1 << 21);
  Reseal(&buffer);
  ModelView validated;
  EXPECT_NE(Validate(buffer, &validated).find("max_bytes_per_word is 2097152; a model allows "
                                              "1 to 255"),
            std::string::npos);
  ModelView m;
  ASSERT_EQ(ParseModel(reinterpret_cast<const uint8_t*>(buffer.data()), buffer.size(), &m),
            ModelError::kOk);
  const std::string word(1 << 20, 'a');
  const WordRows rows = Classify(m, word);
  EXPECT_EQ(rows.kind, kPieces);
  EXPECT_EQ(rows.num_rows, 1u << 20);
}

}  // namespace
}  // namespace tf_dynemb
