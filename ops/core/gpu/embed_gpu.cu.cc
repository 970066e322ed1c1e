// CUDA kernels of the lookup. They run the core's host-and-device functions
// (ClassifyWord, ForEachRow), so the CPU tests exercise the code run here.
#include "ops/core/gpu/embed_gpu.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "ops/core/segmenter.h"

namespace tf_dynemb {
namespace gpu {
namespace {

constexpr int kWarp = 32;

__device__ __forceinline__ float ToFloat(float v) { return v; }
__device__ __forceinline__ float ToFloat(__half v) { return __half2float(v); }
__device__ __forceinline__ float ToFloat(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <typename T>
__device__ __forceinline__ T FromFloat(float v);
template <>
__device__ __forceinline__ float FromFloat<float>(float v) { return v; }
template <>
__device__ __forceinline__ __half FromFloat<__half>(float v) {
  return __float2half(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 FromFloat<__nv_bfloat16>(float v) {
  return __float2bfloat16(v);
}

// A group of kLanes lanes embeds one word. Each lane owns kVec * kSteps
// columns of a chunk of kLanes * kVec * kSteps: lane l reads columns
// [col0 + (s * kLanes + l) * kVec, ... + kVec), so a group's reads of one row
// are contiguous (coalesced).
constexpr int kVec = 4;
constexpr int kSteps = 2;

template <int kLanes, typename T>
__device__ __forceinline__ void AccumulateRow(const T* row, int64_t col0,
                                              int64_t dim, int lane,
                                              bool vector_loads,
                                              float (&acc)[kSteps][kVec]) {
#pragma unroll
  for (int s = 0; s < kSteps; ++s) {
    const int64_t c = col0 + (static_cast<int64_t>(s) * kLanes + lane) * kVec;
    if (sizeof(T) == 4 && vector_loads && c + kVec <= dim) {
      const float4 v = *reinterpret_cast<const float4*>(row + c);
      acc[s][0] += ToFloat(v.x);
      acc[s][1] += ToFloat(v.y);
      acc[s][2] += ToFloat(v.z);
      acc[s][3] += ToFloat(v.w);
    } else {
#pragma unroll
      for (int k = 0; k < kVec; ++k) {
        if (c + k < dim) acc[s][k] += ToFloat(row[c + k]);
      }
    }
  }
}

template <int kLanes, typename T>
__device__ __forceinline__ void StoreChunk(T* out, int64_t col0, int64_t dim,
                                           int lane, float weight,
                                           const float (&acc)[kSteps][kVec]) {
#pragma unroll
  for (int s = 0; s < kSteps; ++s) {
    const int64_t c = col0 + (static_cast<int64_t>(s) * kLanes + lane) * kVec;
#pragma unroll
    for (int k = 0; k < kVec; ++k) {
      if (c + k < dim) out[c + k] = FromFloat<T>(acc[s][k] * weight);
    }
  }
}

// kLanes lanes per word, grid-stride. The lanes of a group classify their
// word identically (the same addresses, so reads are broadcast), then each
// pools its columns. Two 16-lane groups per warp keep twice as many words in
// flight, which pays while classification waits on memory.
template <typename T, int kLanes>
__global__ void EmbedWordsKernel(ModelView model, PackedWords words,
                                 const T* __restrict__ table, int64_t dim,
                                 bool vector_loads, int32_t combiner,
                                 T* __restrict__ out,
                                 int32_t* __restrict__ kinds) {
  constexpr int kChunk = kLanes * kVec * kSteps;
  const int lane = threadIdx.x % kLanes;
  const int64_t first = (static_cast<int64_t>(blockIdx.x) * blockDim.x +
                         threadIdx.x) / kLanes;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x / kLanes;
  for (int64_t i = first; i < words.num_words; i += stride) {
    const int64_t begin = words.offsets[i];
    const uint64_t length = static_cast<uint64_t>(words.offsets[i + 1] - begin);
    const uint8_t* word = words.bytes + begin;
    const WordRows rows = ClassifyWord(model, word, length);
    if (lane == 0) kinds[i] = rows.kind;
    const float weight = CombinerWeight(combiner, rows.num_rows);
    T* dst = out + i * dim;
    for (int64_t col0 = 0; col0 < dim; col0 += kChunk) {
      float acc[kSteps][kVec] = {};
      ForEachRow(model, word, length, rows, [&](uint32_t row) {
        AccumulateRow<kLanes>(table + static_cast<int64_t>(row) * dim, col0,
                              dim, lane, vector_loads, acc);
      });
      StoreChunk<kLanes>(dst, col0, dim, lane, weight, acc);
    }
  }
}

__global__ void SegmentWordsKernel(ModelView model, PackedWords words,
                                   const int64_t* __restrict__ slot_offsets,
                                   int32_t combiner, int64_t* row_ids,
                                   float* row_weights, int64_t* row_word,
                                   int32_t* kinds) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < words.num_words; i += stride) {
    const int64_t begin = words.offsets[i];
    const uint64_t length = static_cast<uint64_t>(words.offsets[i + 1] - begin);
    const uint8_t* word = words.bytes + begin;
    const WordRows rows = ClassifyWord(model, word, length);
    kinds[i] = rows.kind;
    const float weight = CombinerWeight(combiner, rows.num_rows);
    int64_t slot = slot_offsets[i];
    const int64_t end = slot_offsets[i + 1];
    ForEachRow(model, word, length, rows, [&](uint32_t row) {
      if (slot < end) {
        row_ids[slot] = row;
        row_weights[slot] = weight;
        row_word[slot] = i;
        ++slot;
      }
    });
    for (; slot < end; ++slot) {
      row_ids[slot] = 0;
      row_weights[slot] = 0.0f;
      row_word[slot] = i;
    }
  }
}

// A grid that fills the device once (persistent, grid-stride), sized by the
// occupancy calculator for `kernel`.
template <typename Kernel>
cudaError_t GridFor(Kernel kernel, int64_t threads_needed, int* grid,
                    int* block) {
  int min_grid = 0;
  cudaError_t err = cudaOccupancyMaxPotentialBlockSize(&min_grid, block, kernel);
  if (err != cudaSuccess) return err;
  const int64_t blocks = (threads_needed + *block - 1) / *block;
  *grid = static_cast<int>(blocks < min_grid ? (blocks > 0 ? blocks : 1) : min_grid);
  return cudaSuccess;
}

template <typename T, int kLanes>
cudaError_t EmbedWith(cudaStream_t stream, const ModelView& model,
                      const PackedWords& words, const void* table, int64_t dim,
                      int32_t combiner, void* out, int32_t* kinds) {
  int grid = 0, block = 0;
  cudaError_t err = GridFor(EmbedWordsKernel<T, kLanes>,
                            words.num_words * kLanes, &grid, &block);
  if (err != cudaSuccess) return err;
  // float4 loads need 16-byte aligned rows.
  const bool vector_loads =
      dim % kVec == 0 && reinterpret_cast<uintptr_t>(table) % 16 == 0;
  EmbedWordsKernel<T, kLanes><<<grid, block, 0, stream>>>(
      model, words, static_cast<const T*>(table), dim, vector_loads, combiner,
      static_cast<T*>(out), kinds);
  return cudaGetLastError();
}

// Half-warp groups while one pass of 16 lanes covers the row (D <= 128).
template <typename T>
cudaError_t Embed(cudaStream_t stream, const ModelView& model,
                  const PackedWords& words, const void* table, int64_t dim,
                  int32_t combiner, void* out, int32_t* kinds) {
  if (words.num_words == 0) return cudaSuccess;
  if (dim <= 16 * kVec * kSteps) {
    return EmbedWith<T, 16>(stream, model, words, table, dim, combiner, out, kinds);
  }
  return EmbedWith<T, kWarp>(stream, model, words, table, dim, combiner, out, kinds);
}

}  // namespace

cudaError_t LaunchEmbedWords(cudaStream_t stream, const ModelView& model,
                             const PackedWords& words, TableType type,
                             const void* table, int64_t dim, int32_t combiner,
                             void* out, int32_t* kinds) {
  switch (type) {
    case TableType::kFloat32:
      return Embed<float>(stream, model, words, table, dim, combiner, out, kinds);
    case TableType::kFloat16:
      return Embed<__half>(stream, model, words, table, dim, combiner, out, kinds);
    case TableType::kBFloat16:
      return Embed<__nv_bfloat16>(stream, model, words, table, dim, combiner,
                                  out, kinds);
  }
  return cudaErrorInvalidValue;
}

cudaError_t LaunchSegmentWords(cudaStream_t stream, const ModelView& model,
                               const PackedWords& words,
                               const int64_t* slot_offsets, int32_t combiner,
                               int64_t* row_ids, float* row_weights,
                               int64_t* row_word, int32_t* kinds) {
  if (words.num_words == 0) return cudaSuccess;
  int grid = 0, block = 0;
  cudaError_t err = GridFor(SegmentWordsKernel, words.num_words, &grid, &block);
  if (err != cudaSuccess) return err;
  SegmentWordsKernel<<<grid, block, 0, stream>>>(model, words, slot_offsets,
                                                 combiner, row_ids, row_weights,
                                                 row_word, kinds);
  return cudaGetLastError();
}

ModelView RebaseModelView(const ModelView& h, const uint8_t* host_base,
                          const uint8_t* device_base) {
  ModelView d = h;
  auto move = [&](const uint8_t* p) { return device_base + (p - host_base); };
  d.suffix_indicator.data = move(h.suffix_indicator.data);
  d.word_offsets.data = move(h.word_offsets.data);
  d.word_bytes.data = move(h.word_bytes.data);
  d.piece_offsets.data = move(h.piece_offsets.data);
  d.piece_bytes.data = move(h.piece_bytes.data);
  d.word_slots.data = move(h.word_slots.data);
  d.trie.data = move(h.trie.data);
  return d;
}

}  // namespace gpu
}  // namespace tf_dynemb
