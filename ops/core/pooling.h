// CPU pooling of one word's rows into its embedding.
#ifndef TF_DYNEMB_OPS_CORE_POOLING_H_
#define TF_DYNEMB_OPS_CORE_POOLING_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "ops/core/model_format.h"
#include "ops/core/segmenter.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tf_dynemb {

// CPU cycles EmbedWords spends on one word with `row_bytes`-byte rows, for
// the thread pool's cost model: about 150 to classify it (hash, probe, walk,
// branch misses; bench/core_bench.cc) plus the row read and written, about a
// cycle per 8 bytes. TF runs a range on one thread below ~100,000 cycles, so
// the estimate decides from which batch size both cores take part.
constexpr int64_t EmbedCyclesPerWord(int64_t row_bytes) {
  return 150 + row_bytes / 8;
}

// Outputs larger than this are written around the cache (see CopyRow).
constexpr int64_t kStreamOutputBytes = int64_t{4} << 20;

// Copies one table row into the output. With `stream` (for outputs too large
// to stay cached), x86 non-temporal stores skip reading each output line
// before overwriting it; call FinishRowCopies() before handing the output on.
inline void CopyRow(void* dst, const void* src, size_t bytes, bool stream) {
#if defined(__SSE2__)
  if (stream && (reinterpret_cast<uintptr_t>(dst) & 15) == 0 && (bytes & 15) == 0) {
    auto* d = static_cast<__m128i*>(dst);
    const auto* s = static_cast<const __m128i*>(src);
    for (size_t i = 0; i < bytes / 16; ++i) {
      _mm_stream_si128(d + i, _mm_loadu_si128(s + i));
    }
    return;
  }
#endif
  std::memcpy(dst, src, bytes);
}

// Orders CopyRow's non-temporal stores before any later store.
inline void FinishRowCopies() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

// out[0, dim) = the rows[0, m) of `table` pooled with `weight`, summed in
// float (one row: copied, as every combiner's weight is then 1).
template <typename T>
inline void PoolRows(const uint32_t* rows, uint32_t m, float weight,
                     const T* table, int64_t dim, float* __restrict acc,
                     T* __restrict out, bool stream_output) {
  if (m == 0) {
    std::fill(out, out + dim, T(0.0f));
    return;
  }
  if (m == 1) {
    CopyRow(out, table + static_cast<int64_t>(rows[0]) * dim, sizeof(T) * dim,
            stream_output);
    return;
  }
  const T* __restrict first = table + static_cast<int64_t>(rows[0]) * dim;
  for (int64_t d = 0; d < dim; ++d) acc[d] = static_cast<float>(first[d]);
  for (uint32_t r = 1; r < m; ++r) {
    const T* __restrict src = table + static_cast<int64_t>(rows[r]) * dim;
    for (int64_t d = 0; d < dim; ++d) acc[d] += static_cast<float>(src[d]);
  }
  for (int64_t d = 0; d < dim; ++d) out[d] = static_cast<T>(acc[d] * weight);
}

// Embeds words [begin, end) on one thread: word(i) gives word i's bytes and
// length; out[i * dim, (i + 1) * dim) gets its pooled vector and kinds[i] its
// kind. Each word is walked once: a split word's piece rows are gathered as
// the split finds them, then pooled. (Classifying a window of words first and
// prefetching their rows was slower here: see docs/benchmarks.md.)
template <typename T, typename WordAt>
void EmbedWords(const ModelView& m, int64_t begin, int64_t end, WordAt&& word,
                int32_t combiner, const T* table, int64_t dim, T* out,
                int32_t* kinds, bool stream_output) {
  std::vector<uint32_t> rows;
  std::vector<float> acc(dim);
  for (int64_t i = begin; i < end; ++i) {
    const auto bytes_len = word(i);
    rows.clear();
    const WordRows info =
        ClassifyWord(m, bytes_len.first, bytes_len.second,
                     [&](uint32_t row) { rows.push_back(row); });
    kinds[i] = info.kind;
    if (info.kind != kPieces) {
      rows.clear();
      if (info.num_rows == 1) rows.push_back(info.row);
    }
    const uint32_t count = static_cast<uint32_t>(rows.size());
    PoolRows(rows.data(), count, CombinerWeight(combiner, count), table, dim,
             acc.data(), out + i * dim, stream_output);
  }
}

// Writes the pooled vector of w into out[0, dim) and returns w's kind.
// `table` has model.num_rows() rows of `dim` values; `acc` is float scratch of
// `dim` values. Sums are accumulated in float, then scaled once.
template <typename T>
int32_t EmbedWord(const ModelView& m, const uint8_t* w, uint64_t len,
                  int32_t combiner, const T* table, int64_t dim, float* acc,
                  T* out, bool stream_output = false) {
  std::vector<uint32_t> rows;
  const WordRows info =
      ClassifyWord(m, w, len, [&](uint32_t row) { rows.push_back(row); });
  if (info.kind != kPieces) {
    rows.clear();
    if (info.num_rows == 1) rows.push_back(info.row);
  }
  const uint32_t count = static_cast<uint32_t>(rows.size());
  PoolRows(rows.data(), count, CombinerWeight(combiner, count), table, dim, acc,
           out, stream_output);
  return info.kind;
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_POOLING_H_
