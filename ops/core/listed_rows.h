// A word's rows listed as (row, weight, word) triples, and the word's vector
// pooled from that list: one segmentation serves the forward pass and the
// gradient of a training lookup.
#ifndef TF_DYNEMB_OPS_CORE_LISTED_ROWS_H_
#define TF_DYNEMB_OPS_CORE_LISTED_ROWS_H_

#include <cstdint>
#include <cstring>

#include "ops/core/model_format.h"
#include "ops/core/segmenter.h"

namespace tf_dynemb {

// Where one word's triples go: `rows.num_rows` slots of each array.
struct RowList {
  int64_t* ids;
  float* weights;
  int64_t* words;
};

// Writes the rows of w (classified as `rows`) into `out`, each with its
// combiner weight and the word's index `word`; returns the weight. At most
// rows.num_rows slots are written; any slot left over (ForEachRow is
// deterministic, so none is) gets row 0 and weight 0, adding nothing.
inline float ListWordRows(const ModelView& m, const uint8_t* w, uint64_t len,
                          const WordRows& rows, int32_t combiner, int64_t word,
                          const RowList& out) {
  const float weight = CombinerWeight(combiner, rows.num_rows);
  uint32_t n = 0;
  ForEachRow(m, w, len, rows, [&](uint32_t row) {
    if (n < rows.num_rows) {
      out.ids[n] = row;
      out.weights[n] = weight;
      out.words[n] = word;
      ++n;
    }
  });
  for (; n < rows.num_rows; ++n) {
    out.ids[n] = 0;
    out.weights[n] = 0.0f;
    out.words[n] = word;
  }
  return weight;
}

// out[0, dim) = weight * (sum of table rows ids[0, n)), summed in float and
// scaled once, as the lookup pools; one row is copied as it is (its weight is
// 1 under every combiner). `acc` is float scratch of `dim` values.
template <typename T>
void PoolListedRows(const T* table, int64_t dim, const int64_t* ids, uint32_t n,
                    float weight, float* acc, T* out) {
  if (n == 0) {
    for (int64_t d = 0; d < dim; ++d) out[d] = T(0.0f);
    return;
  }
  if (n == 1) {
    std::memcpy(out, table + ids[0] * dim, sizeof(T) * dim);
    return;
  }
  for (int64_t d = 0; d < dim; ++d) acc[d] = 0.0f;
  for (uint32_t k = 0; k < n; ++k) {
    const T* src = table + ids[k] * dim;
    for (int64_t d = 0; d < dim; ++d) acc[d] += static_cast<float>(src[d]);
  }
  for (int64_t d = 0; d < dim; ++d) out[d] = static_cast<T>(acc[d] * weight);
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_LISTED_ROWS_H_
