// The lookup of a training step: words embedded as EmbedWords does, each
// word's rows also listed, so one walk per word serves the forward pass and
// the gradient.
#ifndef TF_DYNEMB_OPS_CORE_LISTED_ROWS_H_
#define TF_DYNEMB_OPS_CORE_LISTED_ROWS_H_

#include <cstdint>
#include <vector>

#include "ops/core/model_format.h"
#include "ops/core/pooling.h"
#include "ops/core/segmenter.h"

namespace tf_dynemb {

// Embeds words [begin, end) on one thread (word(i) gives word i's bytes and
// length) into out[i * dim, (i + 1) * dim) and kinds[i], appends word i's
// rows to `rows` in order and sets counts[i] to their number.
template <typename T, typename WordAt>
void EmbedWordsListingRows(const ModelView& m, int64_t begin, int64_t end,
                           WordAt&& word, int32_t combiner, const T* table,
                           int64_t dim, T* out, int32_t* kinds,
                           std::vector<uint32_t>* rows, uint32_t* counts) {
  std::vector<float> acc(dim);
  RowVector sink{rows};
  for (int64_t i = begin; i < end; ++i) {
    const auto bytes_len = word(i);
    const size_t start = rows->size();
    kinds[i] = ClassifyWord(m, bytes_len.first, bytes_len.second, sink).kind;
    const uint32_t count = static_cast<uint32_t>(rows->size() - start);
    counts[i] = count;
    PoolRows(rows->data() + start, count, CombinerWeight(combiner, count),
             table, dim, acc.data(), out + i * dim);
  }
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_LISTED_ROWS_H_
