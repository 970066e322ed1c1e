// Listed rows give the lookup's own vectors, and the rows the segmenter walks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ops/core/listed_rows.h"
#include "ops/core/model_builder.h"
#include "ops/core/model_validator.h"
#include "ops/core/pooling.h"

namespace tf_dynemb {
namespace {

TEST(ListedRowsTest, PoolsAsTheLookupAndListsEveryRow) {
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

  for (int32_t combiner : {kMean, kSum, kSqrtN}) {
    for (const std::string w : {"", "cat", "unaffable", "aff", "zebra", "##"}) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(w.data());
      const WordRows rows = ClassifyWord(m, bytes, w.size());
      std::vector<int64_t> ids(rows.num_rows), words(rows.num_rows);
      std::vector<float> weights(rows.num_rows);
      const float weight = ListWordRows(m, bytes, w.size(), rows, combiner, 7,
                                        {ids.data(), weights.data(), words.data()});
      std::vector<int64_t> walked;
      ForEachRow(m, bytes, w.size(), rows, [&](uint32_t r) { walked.push_back(r); });
      EXPECT_EQ(ids, walked) << w;
      for (uint32_t k = 0; k < rows.num_rows; ++k) {
        EXPECT_EQ(weights[k], CombinerWeight(combiner, rows.num_rows));
        EXPECT_EQ(words[k], 7);
      }
      float acc[kDim], got[kDim] = {9, 9, 9}, want[kDim];
      PoolListedRows(table.data(), kDim, ids.data(), rows.num_rows, weight, acc, got);
      EXPECT_EQ(EmbedWord(m, bytes, w.size(), combiner, table.data(), kDim, acc, want),
                rows.kind);
      for (int64_t d = 0; d < kDim; ++d) EXPECT_EQ(got[d], want[d]) << w << " " << d;
    }
  }
}

}  // namespace
}  // namespace tf_dynemb
