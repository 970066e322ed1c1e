#include "export/cc/runner_flags.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace tf_dynemb {

const char kRunnerUsage[] =
    R"(Loads a SavedModel with TensorFlow's C++ loader (LoadSavedModel, tag
"serve", as tensorflow_model_server does) and runs its signatures on strings.

  --saved_model=DIR       a SavedModel (version) directory; required
  --signatures=A,B        signatures to run (default: every one)
  --inputs=FILE           strings for every input not named otherwise
  --inputs=KEY=FILE       strings for the input KEY (repeatable; a FILE with
                          '=' in its name needs a '/' before it, e.g. ./a=b)
  --op_library=PATH       an op library to load first (repeatable)
  --tf_text_ops_dir=DIR   load TF Text's op libraries (_*.so) from DIR
                          (default: the installed tensorflow_text's; empty: none)
  --bench                 measure instead of printing outputs: each batch is
                          drawn from the strings given
  --threads=1,2,8         concurrent clients (with --bench)
  --batch_sizes=1,32,1024 strings per request (with --bench)
  --seconds=2             time per measurement (with --bench)
  --seed=0                seed of the batch draws (with --bench)

Strings files hold one string per line with the escapes \\ \n \r \xHH (see
export/cc/strings_file.h). Outputs are printed as one JSON object:
{"SIGNATURE": {"OUTPUT": {"dtype", "shape", "values"}}}; with --bench, one
JSON line per measurement.
)";

namespace {

bool ParseInt(const std::string& text, long min, long max, long* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *value = std::strtol(text.c_str(), &end, 10);
  return errno == 0 && *end == '\0' && *value >= min && *value <= max;
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

bool ParseIntList(const std::string& name, const std::string& text, long min,
                  std::vector<int>* values, std::string* error) {
  values->clear();
  for (const std::string& part : SplitCommas(text)) {
    long value = 0;
    if (!ParseInt(part, min, 1 << 30, &value)) {
      *error = "--" + name + " must be a comma-separated list of integers >= " +
               std::to_string(min) + ". Received: --" + name + "=" + text;
      return false;
    }
    values->push_back(static_cast<int>(value));
  }
  return true;
}

}  // namespace

bool ParseRunnerFlags(int argc, const char* const* argv, RunnerFlags* flags,
                      std::string* error) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      flags->help = true;
      continue;
    }
    if (arg == "--bench") {
      flags->bench = true;
      continue;
    }
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      *error =
          "unknown argument (flags are --name=value; see --help). Received: " +
          arg;
      return false;
    }
    const std::string name = arg.substr(2, eq - 2), value = arg.substr(eq + 1);
    long number = 0;
    if (name == "saved_model") {
      flags->saved_model = value;
    } else if (name == "signatures") {
      flags->signatures = SplitCommas(value);
    } else if (name == "inputs") {
      const size_t key_end =
          value.find('=');  // a '/' before it: a path with '='
      if (key_end == std::string::npos || value.find('/') < key_end) {
        flags->inputs_for_all = value;
      } else {
        flags->named_inputs[value.substr(0, key_end)] =
            value.substr(key_end + 1);
      }
    } else if (name == "op_library") {
      flags->op_libraries.push_back(value);
    } else if (name == "tf_text_ops_dir") {
      flags->tf_text_ops_dir = value;
    } else if (name == "threads") {
      if (!ParseIntList(name, value, 1, &flags->threads, error)) return false;
    } else if (name == "batch_sizes") {
      if (!ParseIntList(name, value, 1, &flags->batch_sizes, error))
        return false;
    } else if (name == "seconds") {
      char* end = nullptr;
      flags->seconds = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' ||
          !(flags->seconds > 0 && flags->seconds <= 3600)) {
        *error =
            "--seconds must be a number in (0, 3600]. Received: --seconds=" +
            value;
        return false;
      }
    } else if (name == "seed") {
      if (!ParseInt(value, 0, 0xffffffffL, &number)) {
        *error =
            "--seed must be an integer in [0, 2^32). Received: --seed=" + value;
        return false;
      }
      flags->seed = static_cast<uint32_t>(number);
    } else {
      *error = "unknown flag --" + name + " (see --help)";
      return false;
    }
  }
  if (!flags->help && flags->saved_model.empty()) {
    *error = "--saved_model is required (see --help)";
    return false;
  }
  return true;
}

}  // namespace tf_dynemb
