// Listed rows: the lookup's own vectors and kinds, and the rows ForEachRow walks.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "ops/core/listed_rows.h"
#include "ops/core/model_builder.h"
#include "ops/core/model_validator.h"
#include "ops/core/pooling.h"

namespace tf_dynemb {
namespace {

TEST(ListedRowsTest, EmbedsAsTheLookupAndListsEveryRow) {
  ModelConfig config;
  config.words = {"the", "cat"};
  config.pieces = {"un", "##aff", "##able", "aff", "[UNK]", "##"};
  config.num_oov_buckets = 3;
  std::string buffer;
  ASSERT_EQ(BuildModel(config, &buffer), "");
  ModelView m;
  ASSERT_EQ(ValidateModel(reinterpret_cast<const uint8_t*>(buffer.data()),
                          buffer.size(), &m),
            "");
  constexpr int64_t kDim = 3;
  std::vector<float> table(m.num_rows() * kDim);
  for (size_t i = 0; i < table.size(); ++i) table[i] = 0.25f * i - 1.0f;
  const std::vector<std::string> words = {"",    "cat",   "unaffable", "aff",
                                          "zebra", "##", "unaff"};
  const int64_t n = words.size();
  auto word = [&](int64_t i) {
    return std::make_pair(reinterpret_cast<const uint8_t*>(words[i].data()),
                          static_cast<uint64_t>(words[i].size()));
  };
  for (int32_t combiner : {kMean, kSum, kSqrtN}) {
    std::vector<float> got(n * kDim, 9.0f), want(n * kDim);
    std::vector<int32_t> got_kinds(n), want_kinds(n);
    std::vector<uint32_t> rows, counts(n);
    EmbedWordsListingRows(m, 0, n, word, combiner, table.data(), kDim, got.data(),
                          got_kinds.data(), &rows, counts.data());
    EmbedWords(m, 0, n, word, combiner, table.data(), kDim, want.data(),
               want_kinds.data());
    EXPECT_EQ(got, want);
    EXPECT_EQ(got_kinds, want_kinds);
    std::vector<uint32_t> walked;
    for (int64_t i = 0; i < n; ++i) {
      const auto [bytes, len] = word(i);
      const size_t before = walked.size();
      ForEachRow(m, bytes, len, ClassifyWord(m, bytes, len),
                 [&](uint32_t r) { walked.push_back(r); });
      EXPECT_EQ(counts[i], walked.size() - before) << words[i];
    }
    EXPECT_EQ(rows, walked);
  }
}

// EmbedWords copies a repeated unlisted word from its first output: every
// word, repeated or not, in any run, must get what EmbedWord gives it alone.
TEST(EmbedWordsTest, RepeatedWordsEmbedAsWordByWord) {
  for (int64_t buckets : {0, 3}) {
    ModelConfig config;
    config.words = {"the", "cat"};
    config.pieces = {"un", "##aff", "##able", "aff", "[UNK]", "##", "z"};
    config.num_oov_buckets = buckets;
    if (buckets == 0) config.unknown_token = "[UNK]";
    std::string buffer;
    ASSERT_EQ(BuildModel(config, &buffer), "");
    ModelView m;
    ASSERT_EQ(ValidateModel(reinterpret_cast<const uint8_t*>(buffer.data()),
                            buffer.size(), &m),
              "");
    constexpr int64_t kDim = 5;
    std::vector<float> table(m.num_rows() * kDim);
    for (size_t i = 0; i < table.size(); ++i) table[i] = 0.37f * i - 2.0f;
    const std::vector<std::string> kinds_of_words = {
        "", "cat", "unaffable", "aff", "zebra", "##", "unaff", "zz", "affable"};
    std::vector<std::string> words;
    for (int r = 0; r < 40; ++r) {
      for (size_t k = 0; k < kinds_of_words.size(); ++k) {
        words.push_back(kinds_of_words[(k * 7 + r) % kinds_of_words.size()]);
      }
      words.push_back("rare" + std::to_string(r));
    }
    const int64_t n = words.size();
    auto word = [&](int64_t i) {
      return std::make_pair(reinterpret_cast<const uint8_t*>(words[i].data()),
                            static_cast<uint64_t>(words[i].size()));
    };
    for (int32_t combiner : {kMean, kSum, kSqrtN}) {
      std::vector<float> want(n * kDim), acc(kDim);
      std::vector<int32_t> want_kinds(n);
      for (int64_t i = 0; i < n; ++i) {
        want_kinds[i] = EmbedWord(m, word(i).first, word(i).second, combiner,
                                  table.data(), kDim, acc.data(), &want[i * kDim]);
      }
      for (int64_t split : {int64_t{0}, int64_t{1}, n / 3, n - 1}) {
        std::vector<float> got(n * kDim, 9.0f);
        std::vector<int32_t> got_kinds(n, -1);
        EmbedWords(m, 0, split, word, combiner, table.data(), kDim, got.data(),
                   got_kinds.data());
        EmbedWords(m, split, n, word, combiner, table.data(), kDim, got.data(),
                   got_kinds.data());
        EXPECT_EQ(got, want) << "combiner " << combiner << " split " << split;
        EXPECT_EQ(got_kinds, want_kinds);
      }
    }
  }
}

}  // namespace
}  // namespace tf_dynemb
