// Reading an embedding table in place from a resource variable.
#ifndef TF_DYNEMB_OPS_KERNELS_VARIABLE_TABLE_H_
#define TF_DYNEMB_OPS_KERNELS_VARIABLE_TABLE_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ops/core/half_rows.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/resource_var.h"
#include "tensorflow/core/framework/types.h"

namespace tf_dynemb {

// float16 tables hold IEEE binary16 bits: PoolRows may convert them with F16C.
template <>
struct IsBinary16<Eigen::half> : std::true_type {};

// Calls use(table) with the tensor of the resource variable at input `index`,
// under the variable's shared lock. Reading in place is what lets a table that
// sparse updates put in copy-on-read mode be looked up without a copy.
template <typename T, typename Use>
absl::Status WithVariableTable(::tensorflow::OpKernelContext* ctx, int index,
                               Use&& use) {
  ::tensorflow::core::RefCountPtr<::tensorflow::Var> var;
  TF_RETURN_IF_ERROR(::tensorflow::LookupResource(
      ctx, ::tensorflow::HandleFromInput(ctx, index), &var));
  // The variable's lock is TensorFlow's own mutex type.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  ::tensorflow::tf_shared_lock lock(*var->mu());
#pragma GCC diagnostic pop
  const ::tensorflow::Tensor& table = *var->tensor();
  if (!table.IsInitialized()) {
    return absl::FailedPreconditionError("The table variable is not initialized.");
  }
  if (table.dtype() != ::tensorflow::DataTypeToEnum<T>::v()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "The table variable holds ", ::tensorflow::DataTypeString(table.dtype()),
        " but the op was given dtype=",
        ::tensorflow::DataTypeString(::tensorflow::DataTypeToEnum<T>::v())));
  }
  use(table);
  return absl::OkStatus();
}

// Calls embed(table) with a lookup's table (input 1): the tensor itself, or
// with kFromVariable the resource variable's tensor, read in place.
template <typename T, bool kFromVariable, typename Embed>
void WithLookupTable(::tensorflow::OpKernelContext* ctx, Embed&& embed) {
  if (kFromVariable) {
    OP_REQUIRES_OK(ctx, WithVariableTable<T>(ctx, 1, embed));
  } else {
    embed(ctx->input(1));
  }
}

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_KERNELS_VARIABLE_TABLE_H_
