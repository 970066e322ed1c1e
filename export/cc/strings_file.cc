#include "export/cc/strings_file.h"

#include <fstream>
#include <sstream>

namespace tf_dynemb {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Where(size_t line, size_t column) {
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

bool ParseStrings(const std::string& text, std::vector<std::string>* strings,
                  std::string* error) {
  strings->clear();
  std::string current;
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      strings->push_back(std::move(current));
      current.clear();
      ++line;
      line_start = i + 1;
    } else if (c == '\r') {
      *error = Where(line, i - line_start + 1) +
               ": a raw carriage return; write \\r for one inside a string";
      return false;
    } else if (c != '\\') {
      current.push_back(c);
    } else {
      const char next = i + 1 < text.size() ? text[i + 1] : '\0';
      if (next == '\\' || next == 'n' || next == 'r') {
        current.push_back(next == '\\' ? '\\' : next == 'n' ? '\n' : '\r');
        ++i;
      } else if (next == 'x' && i + 3 < text.size() &&
                 HexValue(text[i + 2]) >= 0 && HexValue(text[i + 3]) >= 0) {
        current.push_back(static_cast<char>(HexValue(text[i + 2]) * 16 +
                                            HexValue(text[i + 3])));
        i += 3;
      } else {
        *error = Where(line, i - line_start + 1) +
                 ": a backslash must start \\\\, \\n, \\r or \\xHH";
        return false;
      }
    }
  }
  if (!text.empty() && text.back() != '\n')
    strings->push_back(std::move(current));
  return true;
}

bool ReadStringsFile(const std::string& path, std::vector<std::string>* strings,
                     std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = "cannot open strings file " + path;
    return false;
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    *error = "cannot read strings file " + path;
    return false;
  }
  if (!ParseStrings(text.str(), strings, error)) {
    *error = path + ": " + *error;
    return false;
  }
  return true;
}

std::string EscapeToAscii(const std::string& bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (const char c : bytes) {
    const unsigned char b = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (b >= 0x20 && b <= 0x7e) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

}  // namespace tf_dynemb
