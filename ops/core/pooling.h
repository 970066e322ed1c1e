// CPU pooling of one word's rows into its embedding.
#ifndef TF_DYNEMB_OPS_CORE_POOLING_H_
#define TF_DYNEMB_OPS_CORE_POOLING_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "ops/core/fingerprint64.h"
#include "ops/core/half_rows.h"
#include "ops/core/model_format.h"
#include "ops/core/segmenter.h"

namespace tf_dynemb {

// CPU cycles EmbedWords spends on one word with `row_bytes`-byte rows, for
// the thread pool's cost model: about 150 to classify it (hash, probe, walk,
// branch misses; bench/core_bench.cc) plus the row read and written, about a
// cycle per 8 bytes. With character n-grams an out-of-vocabulary word pools
// some 20 rows, each hashed and read, and with composed words every word
// does: the core bench measured 4x and 11x the time a word. TF runs a range
// on one thread below ~100,000 cycles, so the estimate decides from which
// batch size both cores take part.
inline int64_t EmbedCyclesPerWord(int64_t row_bytes, const ModelView& m) {
  const int64_t plain = 150 + row_bytes / 8;
  if (m.num_ngram_buckets == 0) return plain;
  return plain * (m.compose_words() ? 11 : 4);
}

// Below this many cycles of work a batch is embedded on the calling thread:
// handing half of ~0.3 ms to a pool thread, which may be asleep or (on a
// shared machine) waiting for a core, cost more than it saved (batch 1,024,
// D = 128: 0.39 ms an op on two threads against 0.14 ms on one).
constexpr int64_t kMinParallelEmbedCycles = 1000000;

// Words a thread-pool unit of EmbedWords should take from a batch of n on
// `threads` threads: about two units a thread (for balance on a shared
// machine), yet long runs, as RepeatMemo only sees repeats within a run.
inline int64_t EmbedWordsPerUnit(int64_t n, int64_t threads) {
  const int64_t units = 2 * std::max<int64_t>(threads, 1);
  return std::min<int64_t>(std::max<int64_t>((n + units - 1) / units, 256), 16384);
}

// out[0, dim) = the rows[0, m) of `table` pooled with `weight`, summed in
// float (one row: copied, as every combiner's weight is then 1).
template <typename T>
inline void PoolRows(const uint32_t* rows, uint32_t m, float weight,
                     const T* table, int64_t dim, float* __restrict acc,
                     T* __restrict out) {
  if (m == 0) {
    std::fill(out, out + dim, T(0.0f));
    return;
  }
  if (m == 1) {
    std::memcpy(out, table + static_cast<int64_t>(rows[0]) * dim, sizeof(T) * dim);
    return;
  }
  if constexpr (IsBinary16<T>::value && sizeof(T) == 2) {
    if (CpuHasF16c()) {
      PoolBinary16Rows(rows, m, weight, reinterpret_cast<const uint16_t*>(table), dim,
                       reinterpret_cast<uint16_t*>(out));
      return;
    }
  }
  const T* __restrict first = table + static_cast<int64_t>(rows[0]) * dim;
  for (int64_t d = 0; d < dim; ++d) acc[d] = static_cast<float>(first[d]);
  for (uint32_t r = 1; r < m; ++r) {
    const T* __restrict src = table + static_cast<int64_t>(rows[r]) * dim;
    for (int64_t d = 0; d < dim; ++d) acc[d] += static_cast<float>(src[d]);
  }
  for (int64_t d = 0; d < dim; ++d) out[d] = static_cast<T>(acc[d] * weight);
}

// Remembers, for words already embedded in one EmbedWords range, the last
// one with each hash: a word seen before (not a listed word, which FindWord
// resolves as fast) is copied from its earlier output instead of being split
// or bucketed again. Real text repeats its out-of-vocabulary words too.
class RepeatMemo {
 public:
  static constexpr uint32_t kMaxSlots = 4096;  // 64 KiB: stays in L2
  // Slots for a range of `words` words: about two a word, 16 to kMaxSlots,
  // so a small batch does not clear 64 KiB.
  explicit RepeatMemo(int64_t words) : mask_(SlotsFor(words) - 1), slots_(mask_ + 1) {}
  // The index of an earlier word of this range that may equal the word with
  // `hash`, or -1. The caller compares bytes.
  int64_t Find(uint64_t hash) const {
    const Slot& s = slots_[hash & mask_];
    return s.tag == static_cast<uint32_t>(hash >> 32) ? s.index : -1;
  }
  void Put(uint64_t hash, int64_t index) {
    slots_[hash & mask_] = {static_cast<uint32_t>(hash >> 32), index};
  }

 private:
  struct Slot {
    uint32_t tag = 0;
    int64_t index = -1;
  };
  static uint32_t SlotsFor(int64_t words) {
    uint32_t n = 16;
    while (n < kMaxSlots && n < 2 * words) n <<= 1;
    return n;
  }
  uint64_t mask_;
  std::vector<Slot> slots_;
};

// A row sink (segmenter.h) appending to a vector.
struct RowVector {
  static constexpr bool kListsRows = true;
  std::vector<uint32_t>* rows;
  void Add(uint32_t row) { rows->push_back(row); }
  uint64_t Size() const { return rows->size(); }
  void Truncate(uint64_t size) { rows->resize(size); }
};

// Embeds words [begin, end) on one thread: word(i) gives word i's bytes and
// length; out[i * dim, (i + 1) * dim) gets its pooled vector and kinds[i] its
// kind, as ClassifyWord and PoolRows give them (the first steps of
// ClassifyWord are spelled out here to keep the hash for the memo). A listed
// word of a model that does not compose words is one probe and one row copy.
// Any other word is walked once: its rows are gathered as the walk finds
// them, then pooled; a repeated word is copied from its first output
// (RepeatMemo), which holds the same values.
// (Classifying a window of words first and prefetching their rows was slower
// here: see docs/benchmarks.md.)
template <typename T, typename WordAt>
void EmbedWords(const ModelView& m, int64_t begin, int64_t end, WordAt&& word,
                int32_t combiner, const T* table, int64_t dim, T* out,
                int32_t* kinds) {
  std::vector<uint32_t> rows;
  RowVector sink{&rows};
  std::vector<float> acc(dim);
  RepeatMemo memo(end - begin);
  const bool compose = m.compose_words();
  const size_t row_bytes = sizeof(T) * static_cast<size_t>(dim);
  for (int64_t i = begin; i < end; ++i) {
    const auto bytes_len = word(i);
    const uint8_t* w = bytes_len.first;
    const uint64_t len = bytes_len.second;
    T* dst = out + i * dim;
    if (len == 0) {
      kinds[i] = kPad;
      std::fill(dst, dst + dim, T(0.0f));
      continue;
    }
    const uint64_t hash = Fingerprint64(w, len);
    const uint32_t id = FindWord(m, w, len, hash);
    if (id != kNoId && !compose) {
      kinds[i] = kWord;
      std::memcpy(dst, table + static_cast<int64_t>(id) * dim, row_bytes);
      continue;
    }
    const int64_t seen = memo.Find(hash);
    if (seen >= begin && seen < i) {
      const auto earlier = word(seen);
      if (earlier.second == len && std::memcmp(earlier.first, w, len) == 0) {
        kinds[i] = kinds[seen];
        std::memcpy(dst, out + seen * dim, row_bytes);
        continue;
      }
    }
    rows.clear();
    const WordRows info = id != kNoId ? ListedWordRows(m, w, len, id, sink)
                                      : ClassifyUnlisted(m, w, len, hash, sink);
    kinds[i] = info.kind;
    const uint32_t count = static_cast<uint32_t>(rows.size());
    PoolRows(rows.data(), count, CombinerWeight(combiner, count), table, dim,
             acc.data(), dst);
    memo.Put(hash, i);
  }
}

// Writes the pooled vector of w into out[0, dim) and returns w's kind.
// `table` has model.num_rows() rows of `dim` values; `acc` is float scratch of
// `dim` values. Sums are accumulated in float, then scaled once.
template <typename T>
int32_t EmbedWord(const ModelView& m, const uint8_t* w, uint64_t len,
                  int32_t combiner, const T* table, int64_t dim, float* acc,
                  T* out) {
  std::vector<uint32_t> rows;
  RowVector sink{&rows};
  const WordRows info = ClassifyWord(m, w, len, sink);
  const uint32_t count = static_cast<uint32_t>(rows.size());
  PoolRows(rows.data(), count, CombinerWeight(combiner, count), table, dim, acc,
           out);
  return info.kind;
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_POOLING_H_
