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
               want_kinds.data(), false);
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

}  // namespace
}  // namespace tf_dynemb
