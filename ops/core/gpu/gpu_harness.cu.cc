// Drives the GPU entry points without TensorFlow: compares them with the CPU
// core on the same inputs, then times the lookup against the memory bound.
//
// Usage: gpu_harness [--check-only] WORDPIECE_VOCAB WHOLE_WORDS TEXT_WORDS
//                    [REPORT.md]
//   (files with one token per line; `make gpu-harness` passes the bundled
//   vocabulary and words of real text). --check-only skips the timings, for
//   runs under compute-sanitizer.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ops/core/gpu/embed_gpu.h"
#include "ops/core/gpu/harness_util.h"
#include "ops/core/model_builder.h"
#include "ops/core/model_validator.h"
#include "ops/core/pooling.h"

namespace tf_dynemb {
namespace {

using harness::DeviceArray;
using harness::MeasureCopyBandwidth;
using harness::SecondsPerLaunch;

std::vector<std::string> ReadLines(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(2);
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

struct Packed {
  std::vector<uint8_t> bytes;
  std::vector<int64_t> offsets{0};
  explicit Packed(const std::vector<std::string>& words) {
    for (const auto& w : words) {
      bytes.insert(bytes.end(), w.begin(), w.end());
      offsets.push_back(static_cast<int64_t>(bytes.size()));
    }
  }
};

struct DeviceWords {
  DeviceArray<uint8_t> bytes;
  DeviceArray<int64_t> offsets;
  gpu::PackedWords view;
  explicit DeviceWords(const Packed& p)
      : bytes(p.bytes.size()), offsets(p.offsets.size()) {
    bytes.Upload(p.bytes.data(), p.bytes.size());
    offsets.Upload(p.offsets.data(), p.offsets.size());
    view = {bytes.ptr, offsets.ptr, static_cast<int64_t>(p.offsets.size()) - 1};
  }
};

struct Mismatches {
  int64_t kinds = 0, rows = 0, values = 0;
  double worst = 0;
};

// Compares the GPU lookup and segmentation of `words` with the CPU core.
Mismatches Compare(const ModelView& host, const ModelView& device,
                   const std::vector<std::string>& words,
                   const std::vector<float>& table, int64_t dim,
                   const float* device_table, int32_t combiner) {
  const Packed packed(words);
  const DeviceWords dwords(packed);
  const int64_t n = static_cast<int64_t>(words.size());
  DeviceArray<float> out(n * dim);
  DeviceArray<int32_t> kinds(n);
  CHECK_CUDA(gpu::LaunchEmbedWords(nullptr, device, dwords.view,
                                   gpu::TableType::kFloat32, device_table, dim,
                                   combiner, out.ptr, kinds.ptr));
  std::vector<int64_t> slots{0};
  for (const auto& w : words) {
    slots.push_back(slots.back() + gpu::RowSlots(reinterpret_cast<const uint8_t*>(w.data()),
                                                 w.size(), host));
  }
  DeviceArray<int64_t> dslots(slots.size()), ids(slots.back()), word_of(slots.back());
  DeviceArray<float> weights(slots.back());
  DeviceArray<int32_t> seg_kinds(n);
  dslots.Upload(slots.data(), slots.size());
  CHECK_CUDA(gpu::LaunchSegmentWords(nullptr, device, dwords.view, dslots.ptr,
                                     combiner, ids.ptr, weights.ptr,
                                     word_of.ptr, seg_kinds.ptr));
  CHECK_CUDA(cudaDeviceSynchronize());
  std::vector<float> got(n * dim), want(dim), acc(dim), got_weights(slots.back());
  std::vector<int32_t> got_kinds(n), got_seg_kinds(n);
  std::vector<int64_t> got_ids(slots.back());
  out.Download(got.data(), got.size());
  kinds.Download(got_kinds.data(), n);
  seg_kinds.Download(got_seg_kinds.data(), n);
  ids.Download(got_ids.data(), got_ids.size());
  weights.Download(got_weights.data(), got_weights.size());

  Mismatches bad;
  for (int64_t i = 0; i < n; ++i) {
    const auto* w = reinterpret_cast<const uint8_t*>(words[i].data());
    const int32_t kind = EmbedWord(host, w, words[i].size(), combiner,
                                   table.data(), dim, acc.data(), want.data());
    bad.kinds += (kind != got_kinds[i]) + (kind != got_seg_kinds[i]);
    for (int64_t d = 0; d < dim; ++d) {
      const double diff = std::fabs(got[i * dim + d] - want[d]);
      bad.worst = std::max(bad.worst, diff);
      bad.values += diff > 1e-6 * std::max(1.0f, std::fabs(want[d]));
    }
    std::vector<int64_t> rows;
    ForEachRow(host, w, words[i].size(), ClassifyWord(host, w, words[i].size()),
               [&](uint32_t r) { rows.push_back(r); });
    for (int64_t s = slots[i]; s < slots[i + 1]; ++s) {
      const size_t k = static_cast<size_t>(s - slots[i]);
      const bool used = k < rows.size();
      if ((used && got_ids[s] != rows[k]) || (!used && got_weights[s] != 0.0f)) {
        ++bad.rows;
      }
    }
  }
  return bad;
}

std::vector<std::string> AdversarialWords(std::mt19937* rng) {
  std::vector<std::string> words = {"", "##", "##a", "#", std::string("a\0b", 3),
                                    "\xff\xfe", "\xc3", "caf\xc3\xa9",
                                    "\xe6\x9d\xb1\xe4\xba\xac",
                                    std::string(101, 'x'), std::string(100, 'x'),
                                    std::string(255, 'y'), std::string(256, 'y'),
                                    std::string(70000, 'q'), "\x80\x80", "a\xbf\xe6"};
  const std::string alphabet = "abet#.\xc3\xa9\xff ";
  for (int i = 0; i < 5000; ++i) {
    std::string w;
    const int len = (*rng)() % 12;
    for (int k = 0; k < len; ++k) w += alphabet[(*rng)() % alphabet.size()];
    words.push_back(w);
  }
  return words;
}

// Runs the kernels on damaged models that ParseModel accepts but that were
// never validated: they must not fault, and every row they use must be < V
// (compute-sanitizer reports any out-of-bounds access).
int64_t CheckDamagedModels(const std::string& buffer,
                           const std::vector<std::string>& words,
                           std::mt19937* rng) {
  const Packed packed(words);
  const DeviceWords dwords(packed);
  const int64_t n = static_cast<int64_t>(words.size());
  int64_t tried = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string damaged = buffer;
    for (int k = 0; k < 3; ++k) damaged[(*rng)() % damaged.size()] ^= 1 + (*rng)() % 255;
    ModelView host;
    const auto* base = reinterpret_cast<const uint8_t*>(damaged.data());
    if (ParseModel(base, damaged.size(), &host) != ModelError::kOk) continue;
    ++tried;
    DeviceArray<uint8_t> dmodel(damaged.size());
    dmodel.Upload(base, damaged.size());
    const ModelView device = gpu::RebaseModelView(host, base, dmodel.ptr);
    const int64_t dim = 8;
    // A table of V rows, as the kernels' callers check.
    DeviceArray<float> table(std::max<int64_t>(host.num_rows(), 1) * dim);
    DeviceArray<float> out(n * dim);
    DeviceArray<int32_t> kinds(n);
    CHECK_CUDA(gpu::LaunchEmbedWords(nullptr, device, dwords.view, gpu::TableType::kFloat32,
                                     table.ptr, dim, kMean, out.ptr, kinds.ptr));
    CHECK_CUDA(cudaDeviceSynchronize());
  }
  return tried;
}

// A model built and validated on the host, and its copy on the device.
struct Model {
  std::string buffer;
  ModelView host;
  ModelView device;
  std::unique_ptr<DeviceArray<uint8_t>> copy;
};

bool BuildOnDevice(const ModelConfig& config, Model* m) {
  std::string error = BuildModel(config, &m->buffer);
  const auto* base = reinterpret_cast<const uint8_t*>(m->buffer.data());
  if (error.empty()) error = ValidateModel(base, m->buffer.size(), &m->host);
  if (!error.empty()) {
    std::fprintf(stderr, "model: %s\n", error.c_str());
    return false;
  }
  m->copy = std::make_unique<DeviceArray<uint8_t>>(m->buffer.size());
  m->copy->Upload(base, m->buffer.size());
  m->device = gpu::RebaseModelView(m->host, base, m->copy->ptr);
  return true;
}

// Compares every combiner at each width in `dims` on both word sets; appends
// a table row each to `report`. Returns whether all matched.
bool CheckParity(const char* model_name, const Model& m, const std::vector<int64_t>& dims,
                 const std::vector<std::string>& real,
                 const std::vector<std::string>& adversarial, std::mt19937* rng,
                 std::string* report) {
  bool ok = true;
  for (int64_t dim : dims) {
    std::vector<float> table(static_cast<size_t>(m.host.num_rows()) * dim);
    std::normal_distribution<float> normal;
    for (auto& v : table) v = normal(*rng);
    DeviceArray<float> dtable(table.size());
    dtable.Upload(table.data(), table.size());
    for (int32_t combiner : {kMean, kSum, kSqrtN}) {
      const std::vector<std::string>* sets[] = {&real, &adversarial};
      for (const std::vector<std::string>* set : sets) {
        const Mismatches bad = Compare(m.host, m.device, *set, table, dim, dtable.ptr, combiner);
        ok = ok && bad.kinds == 0 && bad.rows == 0 && bad.values == 0;
        char line[320];
        std::snprintf(line, sizeof(line), "| %s | %s | %zu | %lld | %s | %lld | %lld | %lld | %.2e |\n",
                      model_name, set == &real ? "real text" : "adversarial", set->size(),
                      static_cast<long long>(dim), combiner == kMean ? "mean" : combiner == kSum ? "sum" : "sqrtn",
                      static_cast<long long>(bad.kinds), static_cast<long long>(bad.rows),
                      static_cast<long long>(bad.values), bad.worst);
        *report += line;
      }
    }
  }
  return ok;
}

int Main(int argc, char** argv) {
  const bool check_only = argc > 1 && std::string(argv[1]) == "--check-only";
  if (check_only) {
    --argc;
    ++argv;
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s [--check-only] WORDPIECE_VOCAB WHOLE_WORDS TEXT_WORDS [REPORT.md]\n", argv[0]);
    return 2;
  }
  const auto pieces = ReadLines(argv[1]);
  const auto vocab_words = ReadLines(argv[2]);
  const auto text = ReadLines(argv[3]);
  ModelConfig config;
  config.words.assign(vocab_words.begin(), vocab_words.end());
  config.pieces.assign(pieces.begin(), pieces.end());
  config.num_oov_buckets = 1000;
  Model model;
  if (!BuildOnDevice(config, &model)) return 2;
  const std::string& buffer = model.buffer;
  const ModelView& host = model.host;
  const ModelView& device = model.device;

  cudaDeviceProp prop;
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  std::string report = "GPU: " + std::string(prop.name) + "; vocabulary: " +
                       std::to_string(host.num_words) + " words, " +
                       std::to_string(host.num_pieces) + " pieces, " +
                       std::to_string(host.num_buckets) + " buckets.\n\n";

  // Correctness: real text and adversarial words, every combiner, on the
  // WordPiece model and on models with character n-grams (with and without
  // composed words, and the widest n-gram lengths on words of 255 bytes).
  std::mt19937 rng(1234);
  report += "| model | check | words | D | combiner | kind mismatches | row mismatches | values off by > 1e-6 | max abs diff |\n|---|---|---|---|---|---|---|---|---|\n";
  std::vector<std::string> real(text.begin(), text.begin() + std::min<size_t>(text.size(), check_only ? 20000 : 100000));
  const auto adversarial = AdversarialWords(&rng);
  // 16-lane groups up to D = 128, warps above; odd widths take scalar loads.
  bool ok = CheckParity("wordpiece", model, {128, 99, 384, 301}, real, adversarial, &rng, &report);
  struct NgramVariant {
    const char* name;
    int64_t min_n, max_n;
    bool compose, pieces;
  };
  std::string ngram_buffer;  // a composed n-gram model, damaged below
  for (const NgramVariant& v : {NgramVariant{"n-grams 3-6", 3, 6, false, true},
                                NgramVariant{"n-grams 3-6, composed", 3, 6, true, true},
                                NgramVariant{"n-grams 1-16, composed", 1, 16, true, true},
                                NgramVariant{"n-grams 2-4, no pieces", 2, 4, false, false}}) {
    ModelConfig c = config;
    if (!v.pieces) c.pieces.clear();
    c.num_ngram_buckets = 5000;
    c.min_n = v.min_n;
    c.max_n = v.max_n;
    c.compose_words = v.compose;
    c.max_bytes_per_word = 255;
    Model ngram_model;
    if (!BuildOnDevice(c, &ngram_model)) return 2;
    ok = CheckParity(v.name, ngram_model, {64, 301}, real, adversarial, &rng, &report) && ok;
    if (v.compose) ngram_buffer = ngram_model.buffer;
  }

  std::vector<std::string> few(adversarial.begin(), adversarial.begin() + 300);
  const int64_t damaged = CheckDamagedModels(buffer, few, &rng) +
                          CheckDamagedModels(ngram_buffer, few, &rng);
  report += "\nDamaged models run unvalidated without a fault: " + std::to_string(damaged) + ".\n";
  if (check_only) {
    std::printf("%s\n%s\n", report.c_str(), ok ? "PARITY: all GPU results equal the CPU core's" : "PARITY: MISMATCHES FOUND");
    return ok ? 0 : 1;
  }

  // Speed against the memory bound.
  const double peak = MeasureCopyBandwidth();
  char line[512];
  std::snprintf(line, sizeof(line),
                "\nDevice-to-device copy: %.0f GB/s (read + write): the bandwidth bound below.\n\n"
                "| words | D | kernel (us) | M words/s | table rows read + output written (MB) | achieved GB/s | of bound |\n"
                "|---|---|---|---|---|---|---|\n", peak / 1e9);
  report += line;
  for (int64_t dim : {int64_t{128}, int64_t{384}}) {
    std::vector<float> table(static_cast<size_t>(host.num_rows()) * dim, 0.25f);
    DeviceArray<float> dtable(table.size());
    dtable.Upload(table.data(), table.size());
    for (int64_t n : {int64_t{1000}, int64_t{10000}, int64_t{100000}, int64_t{1000000}, int64_t{1}}) {
      std::vector<std::string> words;
      if (n == 1) {
        words.push_back(std::string(1 << 20, 'w'));  // one long word
      } else {
        for (int64_t i = 0; i < n; ++i) words.push_back(text[i % text.size()]);
      }
      double rows = 0;
      for (const auto& w : words) {
        rows += ClassifyWord(host, reinterpret_cast<const uint8_t*>(w.data()), w.size()).num_rows;
      }
      const Packed packed(words);
      const DeviceWords dwords(packed);
      DeviceArray<float> out(n * dim);
      DeviceArray<int32_t> kinds(n);
      auto launch = [&] {
        CHECK_CUDA(gpu::LaunchEmbedWords(nullptr, device, dwords.view, gpu::TableType::kFloat32,
                                         dtable.ptr, dim, kMean, out.ptr, kinds.ptr));
      };
      const double seconds = SecondsPerLaunch(launch);
      const double bytes = (rows + n) * dim * sizeof(float);
      std::snprintf(line, sizeof(line), "| %s | %lld | %.1f | %.1f | %.1f | %.0f | %.0f%% |\n",
                    n == 1 ? "1 (of 1 MiB)" : std::to_string(n).c_str(), static_cast<long long>(dim),
                    seconds * 1e6, n / seconds / 1e6, bytes / 1e6, bytes / seconds / 1e9,
                    100.0 * bytes / seconds / peak);
      report += line;
    }
  }
  std::printf("%s\n%s\n", report.c_str(), ok ? "PARITY: all GPU results equal the CPU core's" : "PARITY: MISMATCHES FOUND");
  if (argc > 4) std::ofstream(argv[4]) << report;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tf_dynemb

int main(int argc, char** argv) { return tf_dynemb::Main(argc, argv); }
