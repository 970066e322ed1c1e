// Where the CPU lookup's time goes, without TensorFlow: one thread, a BERT-size
// vocabulary and real words (written by `python bench/bench_data.py DIR`).
//
// Build and run (from the repository root; bench/BUILD):
//   python bench/bench_data.py /tmp/bench_data
//   bazel build //bench:core_bench
//   bazel-bin/bench/core_bench /tmp/bench_data [DIM] [WORDS]
// CORE_BENCH_ONLY=floor|hash|classify|sorted|embed runs one stage (for perf
// record). CORE_BENCH_NGRAM_BUCKETS=G adds character n-grams of 3 to 6
// characters (CORE_BENCH_NGRAMS=MIN,MAX to choose), CORE_BENCH_COMPOSE=1
// composes words.
// Prints nanoseconds a word for each stage alone and for the whole lookup,
// beside the floor: copying the same rows by precomputed ids.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "ops/core/fingerprint64.h"
#include "ops/core/model_builder.h"
#include "ops/core/model_validator.h"
#include "ops/core/pooling.h"
#include "ops/core/segmenter.h"

namespace tf_dynemb {
namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

const uint8_t* Bytes(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

// This thread's CPU time in ns: other processes on a shared machine delay
// it less than they delay the wall clock.
double ThreadNs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return 1e9 * static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec);
}

// Best of 5 runs (CORE_BENCH_RUNS) of fn() over `n` words, in ns of this
// thread's CPU time a word.
template <typename Fn>
double NsPerWord(size_t n, Fn&& fn) {
  static const int runs =
      std::getenv("CORE_BENCH_RUNS") ? std::atoi(std::getenv("CORE_BENCH_RUNS")) : 5;
  double best = 1e30;
  for (int run = 0; run < runs; ++run) {
    const double start = ThreadNs();
    fn();
    best = std::min(best, (ThreadNs() - start) / n);
  }
  return best;
}

volatile uint64_t sink;

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: core_bench DIR [DIM] [WORDS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int64_t dim = argc > 2 ? std::atoi(argv[2]) : 128;
  const size_t n = argc > 3 ? std::atoi(argv[3]) : 131072;
  const auto pieces = ReadLines(dir + "/pieces.txt");
  const auto words = ReadLines(dir + "/words.txt");
  const auto text = ReadLines(dir + "/text.txt");

  ModelConfig config;
  for (const auto& w : words) config.words.push_back(w);
  for (const auto& p : pieces) config.pieces.push_back(p);
  config.num_oov_buckets = 1000;
  if (const char* g = std::getenv("CORE_BENCH_NGRAM_BUCKETS")) {
    config.num_ngram_buckets = std::atoll(g);
  }
  long long min_n = 0, max_n = 0;
  if (const char* lengths = std::getenv("CORE_BENCH_NGRAMS");
      lengths != nullptr && std::sscanf(lengths, "%lld,%lld", &min_n, &max_n) == 2) {
    config.min_n = min_n;
    config.max_n = max_n;
  }
  config.compose_words = std::getenv("CORE_BENCH_COMPOSE") != nullptr;
  std::string buffer;
  const std::string error = BuildModel(config, &buffer);
  if (!error.empty()) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  ModelView m;
  if (!ValidateModel(Bytes(buffer), buffer.size(), &m).empty()) return 1;

  std::mt19937 rng(0);
  // Words side by side, as in a string tensor (short ones held inline).
  std::vector<std::string> words_in(n);
  for (auto& w : words_in) w = text[rng() % text.size()];
  std::vector<const std::string*> pool(n);
  for (size_t i = 0; i < n; ++i) pool[i] = &words_in[i];
  std::vector<float> table(static_cast<size_t>(m.num_rows()) * dim);
  for (auto& v : table) v = static_cast<float>(rng() % 1000) / 1000.0f;
  std::vector<float> out(n * dim), acc(dim);

  // The rows a gather would copy (what TfDynembSegment gives).
  std::vector<uint32_t> ids;
  size_t kinds[kNgrams + 1] = {};
  for (const auto* w : pool) {
    const WordRows rows = ClassifyWord(m, Bytes(*w), w->size());
    ++kinds[rows.kind];
    ForEachRow(m, Bytes(*w), w->size(), rows, [&](uint32_t r) { ids.push_back(r); });
  }
  std::vector<float> gathered(ids.size() * dim);

  const char* only = std::getenv("CORE_BENCH_ONLY");  // for perf record
  auto want = [&](const char* stage) {
    return only == nullptr || std::string(only) == stage;
  };
  std::printf("%u words, %u pieces, %u n-gram buckets (n %u-%u%s), D=%lld, %zu words drawn: "
              "%.1f%% WORD, %.1f%% PIECES, %.1f%% NGRAMS, %.1f%% BUCKET, %.3f rows a word\n",
              m.num_words, m.num_pieces, m.num_ngram_buckets, m.min_n, m.max_n,
              m.compose_words() ? ", composed" : "", static_cast<long long>(dim), n,
              100.0 * kinds[kWord] / n, 100.0 * kinds[kPieces] / n, 100.0 * kinds[kNgrams] / n,
              100.0 * kinds[kBucket] / n, static_cast<double>(ids.size()) / n);
  if (want("floor")) {
    std::printf("  floor (copy rows by id)  %6.1f ns/word\n", NsPerWord(n, [&] {
      for (size_t r = 0; r < ids.size(); ++r) {
        std::memcpy(&gathered[r * dim], &table[static_cast<size_t>(ids[r]) * dim],
                    sizeof(float) * dim);
      }
    }));
  }
  if (want("hash")) {
    std::printf("  Fingerprint64            %6.1f ns/word\n", NsPerWord(n, [&] {
      uint64_t h = 0;
      for (const auto* w : pool) h += Fingerprint64(Bytes(*w), w->size());
      sink = h;
    }));
  }
  if (want("classify")) {
    std::printf("  ClassifyWord             %6.1f ns/word\n", NsPerWord(n, [&] {
      uint64_t h = 0;
      for (const auto* w : pool) h += ClassifyWord(m, Bytes(*w), w->size()).row;
      sink = h;
    }));
  }
  if (want("sorted")) {
    // The same words grouped by kind: what branch misses between kinds cost.
    std::vector<const std::string*> sorted(pool);
    std::stable_sort(sorted.begin(), sorted.end(), [&](const auto* a, const auto* b) {
      return ClassifyWord(m, Bytes(*a), a->size()).kind <
             ClassifyWord(m, Bytes(*b), b->size()).kind;
    });
    std::printf("  ClassifyWord, by kind    %6.1f ns/word\n", NsPerWord(n, [&] {
      uint64_t h = 0;
      for (const auto* w : sorted) h += ClassifyWord(m, Bytes(*w), w->size()).row;
      sink = h;
    }));
  }
  if (want("embed")) {
    std::vector<int32_t> kinds_out(n);
    auto word = [&](int64_t i) {
      return std::make_pair(Bytes(*pool[i]), static_cast<uint64_t>(pool[i]->size()));
    };
    std::printf("  EmbedWords (the lookup)  %6.1f ns/word\n", NsPerWord(n, [&] {
      EmbedWords(m, 0, static_cast<int64_t>(n), word, kMean, table.data(), dim,
                 out.data(), kinds_out.data());
    }));
  }
  return 0;
}

}  // namespace
}  // namespace tf_dynemb

int main(int argc, char** argv) { return tf_dynemb::Main(argc, argv); }
