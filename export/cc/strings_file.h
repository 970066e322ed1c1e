// The strings file: how the SavedModel runner takes string tensors of any
// bytes from a file that a person can also write by hand.
//
// One string per line. A line ends at '\n' (the last line may omit it; an
// empty file holds no strings, a file of one "\n" holds one empty string).
// Bytes stand for themselves (UTF-8 as it is), except four escapes:
//   \\  a backslash     \n  a newline     \r  a carriage return
//   \xHH  the byte 0xHH (two hex digits)
// A raw carriage return is an error (a CRLF file would otherwise add '\r' to
// every string silently), and so is a backslash before anything else.
// Python's writer is export/cc/cc_loader.py:write_strings_file.
#ifndef TF_DYNEMB_EXPORT_CC_STRINGS_FILE_H_
#define TF_DYNEMB_EXPORT_CC_STRINGS_FILE_H_

#include <string>
#include <vector>

namespace tf_dynemb {

// Parses `text` (a whole strings file) into `strings`. On a malformed line,
// returns false and sets `error` to a message naming the line and column.
bool ParseStrings(const std::string& text, std::vector<std::string>* strings,
                  std::string* error);

// Reads and parses the strings file at `path`; the error names the path.
bool ReadStringsFile(const std::string& path, std::vector<std::string>* strings,
                     std::string* error);

// `bytes` as one line of printable ASCII: the escapes above, with \xHH for
// every byte outside 0x20..0x7e. ParseStrings reads it back.
std::string EscapeToAscii(const std::string& bytes);

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_EXPORT_CC_STRINGS_FILE_H_
