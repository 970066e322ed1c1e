// Character n-gram rows, composed words and model format version 3: hand-
// computed cases of the lookup contract (docs/design.md), builder and
// validator refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ops/core/fingerprint64.h"
#include "ops/core/listed_rows.h"
#include "ops/core/model_builder.h"
#include "ops/core/model_validator.h"
#include "ops/core/pooling.h"
#include "ops/core/segmenter.h"

namespace tf_dynemb {
namespace {

constexpr uint32_t kG = 1000;

const uint8_t* B(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

ModelView MustBuild(const ModelConfig& config, std::string* buffer) {
  EXPECT_EQ(BuildModel(config, buffer), "");
  ModelView view;
  EXPECT_EQ(ValidateModel(B(*buffer), buffer->size(), &view), "");
  return view;
}

WordRows Classify(const ModelView& m, const std::string& w) {
  return ClassifyWord(m, B(w), w.size());
}

// The rows of w as ForEachRow walks them; checks that ClassifyWord listing
// its rows into a vector (the CPU lookup's one walk) gives the same.
std::vector<uint32_t> Rows(const ModelView& m, const std::string& w) {
  std::vector<uint32_t> walked, listed;
  const WordRows info = Classify(m, w);
  ForEachRow(m, B(w), w.size(), info, [&](uint32_t r) { walked.push_back(r); });
  RowVector sink{&listed};
  const WordRows listed_info = ClassifyWord(m, B(w), w.size(), sink);
  EXPECT_EQ(listed, walked) << w;
  EXPECT_EQ(listed_info.kind, info.kind) << w;
  EXPECT_EQ(info.num_rows, walked.size()) << w;
  return walked;
}

// The row of n-gram `gram` in model m, computed by hand.
uint32_t Gram(const ModelView& m, const std::string& gram) {
  return m.ngram_offset() +
         static_cast<uint32_t>(Fingerprint64(B(gram), gram.size()) % m.num_ngram_buckets);
}

std::vector<uint32_t> Grams(const ModelView& m, const std::vector<std::string>& grams) {
  std::vector<uint32_t> rows;
  for (const auto& g : grams) rows.push_back(Gram(m, g));
  return rows;
}

std::vector<uint32_t> Concat(std::vector<uint32_t> a, const std::vector<uint32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

ModelConfig NgramConfig(int64_t min_n, int64_t max_n) {
  ModelConfig c;
  c.words = {"the", "cat"};
  c.pieces = {"un", "##aff", "##able", "aff"};
  c.num_oov_buckets = 3;
  c.num_ngram_buckets = kG;
  c.min_n = min_n;
  c.max_n = max_n;
  return c;
}

TEST(NgramTest, RowsFollowWordsPiecesAndBuckets) {
  std::string buffer;
  const ModelView m = MustBuild(NgramConfig(2, 3), &buffer);
  EXPECT_EQ(m.num_rows(), 2u + 4u + 3u + kG);
  EXPECT_EQ(m.ngram_offset(), 9u);
  EXPECT_EQ(m.min_n, 2u);
  EXPECT_EQ(m.max_n, 3u);
  EXPECT_FALSE(m.compose_words());
}

TEST(NgramTest, AsciiWordByLengthThenStart) {
  std::string buffer;
  const ModelView m = MustBuild(NgramConfig(2, 3), &buffer);
  // "<ab>": 4 characters; 3 bigrams, 2 trigrams. No piece starts "ab".
  EXPECT_EQ(Classify(m, "ab").kind, kNgrams);
  EXPECT_EQ(Rows(m, "ab"), Grams(m, {"<a", "ab", "b>", "<ab", "ab>"}));
  // A split word: P(w) ++ N(w).
  const WordRows unaff = Classify(m, "unaff");
  EXPECT_EQ(unaff.kind, kPieces);
  EXPECT_EQ(unaff.num_pieces, 2u);
  EXPECT_EQ(Rows(m, "unaff"),
            Concat({2, 3}, Grams(m, {"<u", "un", "na", "af", "ff", "f>", "<un", "una", "naf",
                                     "aff", "ff>"})));
  // Repeats are kept: "aaa" has "aa" twice.
  EXPECT_EQ(Rows(m, "aaa"), Grams(m, {"<a", "aa", "aa", "a>", "<aa", "aaa", "aa>"}));
}

TEST(NgramTest, MultiByteCharactersAreOneCharacter) {
  std::string buffer;
  const ModelView m = MustBuild(NgramConfig(2, 3), &buffer);
  const std::string e = "\xc3\xa9";  // é
  EXPECT_EQ(Rows(m, e), Grams(m, {"<" + e, e + ">", "<" + e + ">"}));
  const std::string tokyo = "\xe6\x9d\xb1\xe4\xba\xac";  // 東京: 2 characters of 3 bytes
  EXPECT_EQ(Rows(m, tokyo), Grams(m, {"<\xe6\x9d\xb1", "\xe6\x9d\xb1\xe4\xba\xac",
                                      "\xe4\xba\xac>", "<" + tokyo, tokyo + ">"}));
  const std::string smile = "\xf0\x9f\x99\x82";  // one 4-byte character
  EXPECT_EQ(Rows(m, smile), Grams(m, {"<" + smile, smile + ">", "<" + smile + ">"}));
}

TEST(NgramTest, InvalidUtf8HasOneCut) {
  std::string buffer;
  const ModelView m = MustBuild(NgramConfig(2, 2), &buffer);
  // A lone continuation byte belongs to the character before it: here '<'.
  EXPECT_EQ(Rows(m, "\x80" "a"), Grams(m, {"<\x80" "a", "a>"}));
  EXPECT_EQ(Rows(m, "\x80\xbf"), Grams(m, {"<\x80\xbf>"}));  // 2 characters: "<\x80\xbf", ">"
  // A lead byte without its continuation is a character of one byte.
  EXPECT_EQ(Rows(m, "\xc3" "a"), Grams(m, {"<\xc3", "\xc3" "a", "a>"}));
  // 0xff is not a continuation byte: it starts a character.
  EXPECT_EQ(Rows(m, "\xff\xfe"), Grams(m, {"<\xff", "\xff\xfe", "\xfe>"}));
  // A NUL byte is a character like any other.
  EXPECT_EQ(Rows(m, std::string("\0", 1)), Grams(m, {std::string("<\0", 2),
                                                     std::string("\0>", 2)}));
}

TEST(NgramTest, WordsShorterThanMinNFallBack) {
  std::string buffer;
  ModelConfig c = NgramConfig(4, 5);
  const ModelView m = MustBuild(c, &buffer);
  // "<a>" has 3 characters: no n-gram of 4, so the bucket row.
  const WordRows a = Classify(m, "a");
  EXPECT_EQ(a.kind, kBucket);
  EXPECT_EQ(Rows(m, "a"), std::vector<uint32_t>({6 + static_cast<uint32_t>(
                                                        Fingerprint64(B("a"), 1) % 3)}));
  EXPECT_EQ(Rows(m, "ab"), Grams(m, {"<ab>"}));
  // Without buckets: UNKNOWN, no rows.
  c.num_oov_buckets = 0;
  const ModelView m2 = MustBuild(c, &buffer);
  EXPECT_EQ(Classify(m2, "a").kind, kUnknown);
  EXPECT_TRUE(Rows(m2, "a").empty());
}

TEST(NgramTest, WordsLongerThanMaxBytesHaveNone) {
  std::string buffer;
  ModelConfig c = NgramConfig(3, 3);
  c.max_bytes_per_word = 5;
  const ModelView m = MustBuild(c, &buffer);
  EXPECT_EQ(Rows(m, "xxxxx"), Grams(m, {"<xx", "xxx", "xxx", "xxx", "xx>"}));
  EXPECT_EQ(Classify(m, "xxxxxx").kind, kBucket);
  c.max_bytes_per_word = 255;
  const ModelView wide = MustBuild(c, &buffer);
  const WordRows longest = Classify(wide, std::string(255, 'x'));
  EXPECT_EQ(longest.kind, kNgrams);
  EXPECT_EQ(longest.num_rows, 255u);  // 257 characters, 255 trigrams
  EXPECT_EQ(Classify(wide, std::string(256, 'x')).kind, kBucket);
}

TEST(NgramTest, ComposedWordsPoolTheirSubwords) {
  std::string buffer;
  ModelConfig c = NgramConfig(3, 3);
  c.words = {"the", "unaff", "zz"};
  const ModelView plain = MustBuild(c, &buffer);
  EXPECT_EQ(Rows(plain, "unaff"), std::vector<uint32_t>({1}));
  c.compose_words = true;
  std::string composed_buffer;
  const ModelView m = MustBuild(c, &composed_buffer);
  EXPECT_TRUE(m.compose_words());
  const WordRows unaff = Classify(m, "unaff");
  EXPECT_EQ(unaff.kind, kWord);
  EXPECT_EQ(Rows(m, "unaff"),
            Concat({1, 3, 4}, Grams(m, {"<un", "una", "naf", "aff", "ff>"})));
  // P(w) empty (no split): [word row] ++ N(w).
  EXPECT_EQ(Rows(m, "zz"), Concat({2}, Grams(m, {"<zz", "zz>"})));
  // Composed, the pooled vector takes every row.
  std::vector<float> table(m.num_rows(), 0.0f);
  table[2] = 3.0f;
  for (uint32_t r : Grams(m, {"<zz", "zz>"})) table[r] += 1.0f;
  float acc[1], out[1];
  EXPECT_EQ(EmbedWord(m, B("zz"), 2, kSum, table.data(), 1, acc, out), kWord);
  EXPECT_FLOAT_EQ(out[0], 5.0f);
  EmbedWord(m, B("zz"), 2, kMean, table.data(), 1, acc, out);
  EXPECT_FLOAT_EQ(out[0], 5.0f / 3);
  EmbedWord(m, B("zz"), 2, kSqrtN, table.data(), 1, acc, out);
  EXPECT_FLOAT_EQ(out[0], 5.0f / std::sqrt(3.0f));
}

TEST(NgramTest, NoNgramBucketsKeepsTheOldRows) {
  std::string buffer;
  ModelConfig c = NgramConfig(3, 6);
  c.num_ngram_buckets = 0;
  c.compose_words = true;  // nothing to compose without pieces' split or n-grams
  c.pieces.clear();
  const ModelView m = MustBuild(c, &buffer);
  EXPECT_EQ(Rows(m, "the"), std::vector<uint32_t>({0}));
  EXPECT_EQ(Classify(m, "ab").kind, kBucket);
}

// EmbedWords (repeat memo, fast path) and the listing lookup agree with
// EmbedWord word by word on random words, repeats and invalid UTF-8 included.
TEST(NgramTest, BatchPathsMatchOneWordAtATime) {
  std::mt19937 rng(11);
  const std::string alphabet = std::string("tacheunf") + "\xc3\xa9\x80\xff";
  std::vector<std::string> words = {"", "the", "the", "unaff", "zz"};
  for (int i = 0; i < 400; ++i) {
    std::string w(rng() % 9, 'a');
    for (auto& ch : w) ch = alphabet[rng() % alphabet.size()];
    words.push_back(w);
    if (rng() % 4 == 0) words.push_back(words[rng() % words.size()]);
  }
  for (bool compose : {false, true}) {
    ModelConfig c = NgramConfig(1, 4);
    c.words = {"the", "unaff", "zz", "a"};
    c.max_bytes_per_word = 6;
    c.compose_words = compose;
    std::string buffer;
    const ModelView m = MustBuild(c, &buffer);
    constexpr int64_t kDim = 4;
    std::vector<float> table(m.num_rows() * kDim);
    for (size_t i = 0; i < table.size(); ++i) table[i] = std::sin(0.37f * i);
    const int64_t n = words.size();
    auto word = [&](int64_t i) {
      return std::make_pair(B(words[i]), static_cast<uint64_t>(words[i].size()));
    };
    for (int32_t combiner : {kMean, kSum, kSqrtN}) {
      std::vector<float> batch(n * kDim), listed(n * kDim), single(kDim), acc(kDim);
      std::vector<int32_t> batch_kinds(n), listed_kinds(n);
      std::vector<uint32_t> rows, counts(n);
      EmbedWords(m, 0, n, word, combiner, table.data(), kDim, batch.data(), batch_kinds.data());
      EmbedWordsListingRows(m, 0, n, word, combiner, table.data(), kDim, listed.data(),
                            listed_kinds.data(), &rows, counts.data());
      EXPECT_EQ(batch, listed);
      EXPECT_EQ(batch_kinds, listed_kinds);
      size_t at = 0;
      for (int64_t i = 0; i < n; ++i) {
        const int32_t kind = EmbedWord(m, B(words[i]), words[i].size(), combiner,
                                       table.data(), kDim, acc.data(), single.data());
        EXPECT_EQ(kind, batch_kinds[i]) << i;
        for (int64_t d = 0; d < kDim; ++d) EXPECT_EQ(single[d], batch[i * kDim + d]) << i;
        const std::vector<uint32_t> want = Rows(m, words[i]);
        EXPECT_EQ(std::vector<uint32_t>(rows.begin() + at, rows.begin() + at + counts[i]), want);
        at += counts[i];
      }
    }
  }
}

TEST(NgramBuilderTest, RefusesBadArguments) {
  std::string buffer;
  ModelConfig c = NgramConfig(3, 6);
  c.num_ngram_buckets = -1;
  EXPECT_NE(BuildModel(c, &buffer).find("num_ngram_buckets=-1"), std::string::npos);
  c = NgramConfig(0, 6);
  EXPECT_NE(BuildModel(c, &buffer).find("1 <= min_n <= max_n <= 16. Received: min_n=0, max_n=6"),
            std::string::npos);
  c = NgramConfig(5, 4);
  EXPECT_NE(BuildModel(c, &buffer).find("Received: min_n=5, max_n=4"), std::string::npos);
  c = NgramConfig(3, 17);
  EXPECT_NE(BuildModel(c, &buffer).find("Received: min_n=3, max_n=17"), std::string::npos);
  c = NgramConfig(3, 6);
  c.num_ngram_buckets = 0x7FFFFFFF;
  EXPECT_NE(BuildModel(c, &buffer).find("num_ngram_buckets=2147483647); at most"),
            std::string::npos);
}

void Reseal(std::string* buffer) {
  SealModel(reinterpret_cast<uint8_t*>(buffer->data()), buffer->size());
}

// The buffer with header field `at` set to `v`, resealed.
std::string WithField(std::string buffer, uint32_t at, uint32_t v) {
  std::memcpy(&buffer[at], &v, 4);
  Reseal(&buffer);
  return buffer;
}

std::string Validate(const std::string& buffer) {
  ModelView view;
  return ValidateModel(B(buffer), buffer.size(), &view);
}

TEST(NgramValidatorTest, RefusesBadLengthsFlagsAndOldVersions) {
  std::string buffer;
  MustBuild(NgramConfig(3, 6), &buffer);
  EXPECT_NE(Validate(WithField(buffer, kFieldNgramLengths, 0 | (6 << 8)))
                .find("n-gram lengths min_n=0, max_n=6 are not within 1 <= min_n <= max_n <= 16"),
            std::string::npos);
  EXPECT_NE(Validate(WithField(buffer, kFieldNgramLengths, 3 | (17 << 8))).find("max_n=17"),
            std::string::npos);
  EXPECT_NE(Validate(WithField(buffer, kFieldNgramLengths, 4 | (3 << 8))).find("min_n=4, max_n=3"),
            std::string::npos);
  EXPECT_NE(Validate(WithField(buffer, kFieldNgramLengths, 3 | (6 << 8) | (1 << 16)))
                .find("has bits set beyond min_n and max_n"),
            std::string::npos);
  EXPECT_NE(Validate(WithField(buffer, kFieldFlags, 2)).find("unknown flag bits 0x00000002"),
            std::string::npos);
  EXPECT_EQ(Validate(WithField(buffer, kFieldFlags, kFlagComposeWords)), "");
  // Lengths are only read with n-gram buckets: without, any in-range bits pass.
  ModelConfig c = NgramConfig(3, 6);
  c.num_ngram_buckets = 0;
  MustBuild(c, &buffer);
  EXPECT_EQ(Validate(WithField(buffer, kFieldNgramLengths, 0)), "");
  // A version-2 buffer was built by an older tf_dynemb.
  EXPECT_NE(Validate(WithField(buffer, kFieldVersion, 2))
                .find("model format version 2 was built by an older tf_dynemb (this build reads "
                      "version 3); rebuild it with tf_dynemb.build_model"),
            std::string::npos);
  EXPECT_NE(Validate(WithField(buffer, kFieldVersion, 4)).find("version 4 is not supported"),
            std::string::npos);
}

// Unvalidated headers (as the GPU may read them) stay in bounds: lengths of
// 0 and 255, a word longer than the bounded-word buffer.
TEST(NgramValidatorTest, UnvalidatedLengthsStayInBounds) {
  std::string buffer;
  ModelConfig c = NgramConfig(3, 6);
  c.max_bytes_per_word = 255;
  MustBuild(c, &buffer);
  for (uint32_t lengths : {0u, 255u << 8, 255u | (255u << 8), 1u | (255u << 8)}) {
    std::string damaged = WithField(buffer, kFieldNgramLengths, lengths);
    damaged = WithField(damaged, kFieldMaxBytesPerWord, 1 << 20);
    ModelView raw;
    ASSERT_EQ(ParseModel(B(damaged), damaged.size(), &raw), ModelError::kOk);
    for (const std::string& w : {std::string(255, 'x'), std::string(300, 'x'), std::string("ab")}) {
      const WordRows info = Classify(raw, w);
      uint32_t seen = 0;
      ForEachRow(raw, B(w), w.size(), info, [&](uint32_t r) {
        EXPECT_LT(r, raw.num_rows());
        ++seen;
      });
      EXPECT_EQ(seen, info.num_rows);
    }
  }
}

}  // namespace
}  // namespace tf_dynemb
