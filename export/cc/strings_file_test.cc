#include "export/cc/strings_file.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tf_dynemb {
namespace {

std::vector<std::string> Parse(const std::string& text) {
  std::vector<std::string> strings;
  std::string error;
  EXPECT_TRUE(ParseStrings(text, &strings, &error)) << error;
  return strings;
}

std::string ParseError(const std::string& text) {
  std::vector<std::string> strings;
  std::string error;
  EXPECT_FALSE(ParseStrings(text, &strings, &error));
  return error;
}

TEST(StringsFileTest, LinesAndEmptyStrings) {
  EXPECT_EQ(Parse(""), std::vector<std::string>{});
  EXPECT_EQ(Parse("\n"), std::vector<std::string>{""});
  EXPECT_EQ(Parse("a\n\nb"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(Parse("a\n\nb\n"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(Parse("東京 \t🙂\n"), std::vector<std::string>{"東京 \t🙂"});
}

TEST(StringsFileTest, Escapes) {
  EXPECT_EQ(Parse("a\\\\b\\nc\\rd\\x00\\xfF\n"),
            (std::vector<std::string>{std::string("a\\b\nc\rd\0\xff", 9)}));
}

TEST(StringsFileTest, BadLinesNameLineAndColumn) {
  EXPECT_EQ(ParseError("ok\nab\\q\n"),
            "line 2, column 3: a backslash must start \\\\, \\n, \\r or \\xHH");
  EXPECT_EQ(ParseError("a\\x4"),
            "line 1, column 2: a backslash must start \\\\, \\n, \\r or \\xHH");
  EXPECT_EQ(ParseError("a\\"),
            "line 1, column 2: a backslash must start \\\\, \\n, \\r or \\xHH");
  EXPECT_EQ(ParseError("a\r\n"),
            "line 1, column 2: a raw carriage return; write \\r for one inside "
            "a string");
}

TEST(StringsFileTest, EscapeToAsciiRoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string escaped = EscapeToAscii(all);
  for (const char c : escaped) {
    EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << static_cast<int>(c);
  }
  EXPECT_EQ(Parse(escaped), std::vector<std::string>{all});
}

TEST(StringsFileTest, MissingFileIsAnError) {
  std::vector<std::string> strings;
  std::string error;
  EXPECT_FALSE(ReadStringsFile("/nonexistent/strings.txt", &strings, &error));
  EXPECT_EQ(error, "cannot open strings file /nonexistent/strings.txt");
}

}  // namespace
}  // namespace tf_dynemb
