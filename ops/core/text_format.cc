#include "ops/core/text_format.h"

#include <cstdio>

namespace tf_dynemb {

std::string QuoteBytes(std::string_view bytes, size_t max_bytes) {
  std::string out = "'";
  const size_t shown = bytes.size() < max_bytes ? bytes.size() : max_bytes;
  for (size_t i = 0; i < shown; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  out += "'";
  if (shown < bytes.size()) {
    out += "... (" + std::to_string(bytes.size()) + " bytes)";
  }
  return out;
}

}  // namespace tf_dynemb
