// Quoting of arbitrary bytes for error messages.
#ifndef TF_DYNEMB_OPS_CORE_TEXT_FORMAT_H_
#define TF_DYNEMB_OPS_CORE_TEXT_FORMAT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace tf_dynemb {

// Returns 'bytes' in single quotes with non-printable bytes as \xNN, cut after
// `max_bytes` input bytes (with the total length noted) so a huge input never
// makes a huge message.
std::string QuoteBytes(std::string_view bytes, size_t max_bytes = 64);

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_OPS_CORE_TEXT_FORMAT_H_
