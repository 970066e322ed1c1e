// TfDynembBuildModel: vocabularies -> uint8 model buffer.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ops/core/model_builder.h"
#include "tensorflow/core/framework/op_kernel.h"

namespace tf_dynemb {

using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;

class BuildModelOp : public OpKernel {
 public:
  explicit BuildModelOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("num_oov_buckets", &num_oov_buckets_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("suffix_indicator", &suffix_indicator_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("max_bytes_per_word", &max_bytes_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("unknown_token", &unknown_token_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("num_ngram_buckets", &num_ngram_buckets_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("min_n", &min_n_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("max_n", &max_n_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("compose_words", &compose_words_));
  }

  void Compute(OpKernelContext* ctx) override {
    ModelConfig config;
    OP_REQUIRES_OK(ctx, ReadStrings(ctx->input(0), "words", &config.words));
    OP_REQUIRES_OK(ctx, ReadStrings(ctx->input(1), "pieces", &config.pieces));
    config.num_oov_buckets = num_oov_buckets_;
    config.suffix_indicator = suffix_indicator_;
    config.max_bytes_per_word = max_bytes_;
    config.unknown_token = unknown_token_;
    config.num_ngram_buckets = num_ngram_buckets_;
    config.min_n = min_n_;
    config.max_n = max_n_;
    config.compose_words = compose_words_;
    std::string model;
    const std::string error = BuildModel(config, &model);
    OP_REQUIRES(ctx, error.empty(), absl::InvalidArgumentError(error));
    Tensor* out = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(
                            0, {static_cast<int64_t>(model.size())}, &out));
    std::copy(model.begin(), model.end(), out->flat<uint8_t>().data());
  }

 private:
  static absl::Status ReadStrings(const Tensor& t, const char* name,
                                          std::vector<std::string_view>* out) {
    if (t.dims() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("`", name, "` must be a 1-D string tensor. Received shape ",
                       t.shape().DebugString()));
    }
    const auto flat = t.flat<::tensorflow::tstring>();
    out->reserve(flat.size());
    for (int64_t i = 0; i < flat.size(); ++i) {
      out->emplace_back(flat(i).data(), flat(i).size());
    }
    return absl::OkStatus();
  }

  int64_t num_oov_buckets_;
  std::string suffix_indicator_;
  int64_t max_bytes_;
  std::string unknown_token_;
  int64_t num_ngram_buckets_;
  int64_t min_n_;
  int64_t max_n_;
  bool compose_words_;
};

REGISTER_KERNEL_BUILDER(Name("TfDynembBuildModel").Device(::tensorflow::DEVICE_CPU),
                        BuildModelOp);

}  // namespace tf_dynemb
