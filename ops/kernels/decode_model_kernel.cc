// TfDynembDecodeModel: a model buffer -> the vocabularies it was built from,
// after the full validation the lookup runs (checksum, every id and offset).
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "ops/core/model_format.h"
#include "ops/core/model_validator.h"
#include "ops/kernels/validated_model.h"
#include "tensorflow/core/framework/op_kernel.h"

namespace tf_dynemb {
namespace {

using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;
using ::tensorflow::TensorShape;
using ::tensorflow::tstring;

// String i of a validated offsets/bytes pair.
std::string_view StringAt(const U32Span& offsets, const ByteSpan& bytes,
                          uint32_t i) {
  const uint32_t begin = offsets.Get(i, 0);
  const uint32_t end = offsets.Get(i + 1, 0);
  return {reinterpret_cast<const char*>(bytes.data) + begin, end - begin};
}

absl::Status OutputStrings(OpKernelContext* ctx, int index, uint32_t count,
                           const U32Span& offsets, const ByteSpan& bytes) {
  Tensor* out = nullptr;
  TF_RETURN_IF_ERROR(ctx->allocate_output(index, TensorShape({count}), &out));
  auto flat = out->flat<tstring>();
  for (uint32_t i = 0; i < count; ++i) {
    const std::string_view s = StringAt(offsets, bytes, i);
    flat(i).assign(s.data(), s.size());
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status OutputScalar(OpKernelContext* ctx, int index, const T& value) {
  Tensor* out = nullptr;
  TF_RETURN_IF_ERROR(ctx->allocate_output(index, TensorShape({}), &out));
  out->scalar<T>()() = value;
  return absl::OkStatus();
}

class DecodeModelOp : public OpKernel {
 public:
  explicit DecodeModelOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& model = ctx->input(0);
    OP_REQUIRES_OK(ctx, CheckModelShape(model));
    const auto data = model.tensor_data();
    ModelView m;
    const std::string error = ValidateModel(
        reinterpret_cast<const uint8_t*>(data.data()), data.size(), &m);
    OP_REQUIRES(ctx, error.empty(), absl::InvalidArgumentError(error));
    OP_REQUIRES_OK(ctx, OutputStrings(ctx, 0, m.num_words, m.word_offsets,
                                      m.word_bytes));
    OP_REQUIRES_OK(ctx, OutputStrings(ctx, 1, m.num_pieces, m.piece_offsets,
                                      m.piece_bytes));
    OP_REQUIRES_OK(ctx, OutputScalar<int64_t>(ctx, 2, m.num_buckets));
    const tstring suffix(reinterpret_cast<const char*>(m.suffix_indicator.data),
                         m.suffix_indicator.size);
    OP_REQUIRES_OK(ctx, OutputScalar<tstring>(ctx, 3, suffix));
    OP_REQUIRES_OK(ctx, OutputScalar<int64_t>(ctx, 4, m.max_bytes_per_word));
    // ValidateModel has checked that the unknown row, if any, is a piece row.
    tstring unknown;
    if (m.unknown_row != kNoId) {
      const std::string_view s = StringAt(m.piece_offsets, m.piece_bytes,
                                          m.unknown_row - m.num_words);
      unknown.assign(s.data(), s.size());
    }
    OP_REQUIRES_OK(ctx, OutputScalar<tstring>(ctx, 5, unknown));
    OP_REQUIRES_OK(ctx, OutputScalar<int64_t>(ctx, 6, m.num_ngram_buckets));
    OP_REQUIRES_OK(ctx, OutputScalar<int64_t>(ctx, 7, m.min_n));
    OP_REQUIRES_OK(ctx, OutputScalar<int64_t>(ctx, 8, m.max_n));
    OP_REQUIRES_OK(ctx, OutputScalar<bool>(ctx, 9, m.compose_words()));
  }
};

REGISTER_KERNEL_BUILDER(
    Name("TfDynembDecodeModel").Device(::tensorflow::DEVICE_CPU),
    DecodeModelOp);

}  // namespace
}  // namespace tf_dynemb
