// CUDA entry points of the lookup, free of TensorFlow: the TF kernels and the
// standalone harness both call these. Every pointer is device memory, and
// `model` is a view whose spans point into a device copy of a model buffer
// that ValidateModel() accepted on the host (see RebaseModelView).
#ifndef TF_DYNEMB_OPS_CORE_GPU_EMBED_GPU_H_
#define TF_DYNEMB_OPS_CORE_GPU_EMBED_GPU_H_

#include <cuda_runtime.h>

#include <cstdint>

#include "ops/core/model_format.h"
#include "ops/core/segmenter.h"

namespace tf_dynemb {
namespace gpu {

// Words packed into one byte buffer: word i is bytes[offsets[i], offsets[i+1]).
struct PackedWords {
  const uint8_t* bytes = nullptr;
  const int64_t* offsets = nullptr;
  int64_t num_words = 0;
};

// Element types of the table; values are accumulated in float.
enum class TableType { kFloat32, kFloat16, kBFloat16 };

// out[i, :] = pooled rows of word i; kinds[i] = its kind. A group of 16 lanes
// (D <= 128) or a warp per word.
cudaError_t LaunchEmbedWords(cudaStream_t stream, const ModelView& model,
                             const PackedWords& words, TableType type,
                             const void* table, int64_t dim, int32_t combiner,
                             void* out, int32_t* kinds);

// The rows of word i go to slots [slot_offsets[i], slot_offsets[i+1]), which
// the caller sizes by RowSlots(); unused slots get row 0 and weight 0, so
// they add nothing to a gradient. One thread per word.
cudaError_t LaunchSegmentWords(cudaStream_t stream, const ModelView& model,
                               const PackedWords& words,
                               const int64_t* slot_offsets, int32_t combiner,
                               int64_t* row_ids, float* row_weights,
                               int64_t* row_word, int32_t* kinds);

// An upper bound on the rows of word w (host memory) of `length` bytes under
// `model`: a piece takes at least one byte, the word row comes first when
// words are composed, N(w) is counted exactly; any other kind has at most one
// row. At most 1 + 255 + 257 * 16 for a validated model.
inline int64_t RowSlots(const uint8_t* w, int64_t length, const ModelView& model) {
  if (length == 0) return 0;
  const int64_t pieces =
      model.num_pieces > 0 && length <= static_cast<int64_t>(model.max_bytes_per_word)
          ? length
          : 0;
  const int64_t rows = (model.compose_words() ? 1 : 0) + pieces +
                       CountNgramRows(model, w, static_cast<uint64_t>(length));
  return rows > 1 ? rows : 1;
}

// Moves every span of `host_view` (which points into `host_base`) onto the
// same offsets of `device_base`, a device copy of the same buffer.
ModelView RebaseModelView(const ModelView& host_view, const uint8_t* host_base,
                          const uint8_t* device_base);

}  // namespace gpu
}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_GPU_EMBED_GPU_H_
