// Tests of the TensorFlow-free core: hashing, building, validation, splitting.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace tf_dynemb
