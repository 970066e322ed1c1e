// Command line of the SavedModel runner (see kRunnerUsage).
#ifndef TF_DYNEMB_EXPORT_CC_RUNNER_FLAGS_H_
#define TF_DYNEMB_EXPORT_CC_RUNNER_FLAGS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tf_dynemb {

extern const char kRunnerUsage[];

struct RunnerFlags {
  std::string saved_model;
  std::vector<std::string> signatures;              // empty: every signature
  std::string inputs_for_all;                       // --inputs=FILE
  std::map<std::string, std::string> named_inputs;  // --inputs=KEY=FILE
  std::vector<std::string> op_libraries;
  std::string tf_text_ops_dir;  // the caller sets the default before parsing
  bool bench = false;
  std::vector<int> threads = {1, 2, 8};
  std::vector<int> batch_sizes = {1, 32, 1024};
  double seconds = 2.0;
  uint32_t seed = 0;
  bool help = false;
};

// Parses argv[1:] into `flags`; on a bad argument returns false with a
// one-line `error` naming it.
bool ParseRunnerFlags(int argc, const char* const* argv, RunnerFlags* flags,
                      std::string* error);

}  // namespace tf_dynemb

#endif  // TF_DYNEMB_EXPORT_CC_RUNNER_FLAGS_H_
