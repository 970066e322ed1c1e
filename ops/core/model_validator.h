// Full validation of a model buffer on the host: header, checksum, and every
// id and offset in range. A buffer that passes can only yield rows < V.
#ifndef TF_DYNEMB_OPS_CORE_MODEL_VALIDATOR_H_
#define TF_DYNEMB_OPS_CORE_MODEL_VALIDATOR_H_

#include <cstdint>
#include <string>

#include "ops/core/model_format.h"

namespace tf_dynemb {

// Describes a ParseModel() error for a buffer of `size` bytes.
std::string DescribeModelError(ModelError error, const uint8_t* data,
                               uint64_t size);

// Returns an empty string when `data` is a sound model, else what is wrong.
// On success fills `view`.
std::string ValidateModel(const uint8_t* data, uint64_t size, ModelView* view);

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_MODEL_VALIDATOR_H_
