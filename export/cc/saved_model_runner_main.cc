// The SavedModel runner: TensorFlow's C++ loader, the path that
// tensorflow_model_server takes, outside Python. Usage: kRunnerUsage.
//
// Built twice (BUILD): with tf_dynemb's ops linked in (the server that the
// fused flavor needs) and without (the stock server's op set: core TF and TF
// Text, enough for the portable flavor).
#include <dirent.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "export/cc/runner_flags.h"
#include "export/cc/serving_bench.h"
#include "export/cc/signature_runner.h"
#include "export/cc/strings_file.h"
#include "export/cc/tensor_json.h"
#include "tensorflow/c/c_api.h"
#include "tensorflow/cc/saved_model/loader.h"
#include "tf_cc_paths.h"

namespace tf_dynemb {
namespace {

using StringsByKey = std::map<std::string, std::vector<std::string>>;

// kSavedModelTagServe of tensorflow/cc/saved_model/tag_constants.h, which the
// wheel does not ship.
constexpr char kServeTag[] = "serve";

absl::Status LoadOpLibrary(const std::string& path) {
  TF_Status* status = TF_NewStatus();
  TF_LoadLibrary(path.c_str(),
                 status);  // the handle stays: its ops stay registered
  const bool ok = TF_GetCode(status) == TF_OK;
  const std::string message = TF_Message(status);
  TF_DeleteStatus(status);
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError("cannot load op library " + path + ": " +
                                    message);
}

// TF Text's op libraries: every _*.so in `dir`, in name order.
absl::Status LoadTfTextOps(const std::string& dir) {
  DIR* listing = opendir(dir.c_str());
  if (listing == nullptr) {
    return absl::NotFoundError("cannot list TF Text's op libraries in " + dir);
  }
  std::vector<std::string> names;
  while (const dirent* entry = readdir(listing)) {
    const std::string name = entry->d_name;
    if (name.size() > 4 && name[0] == '_' &&
        name.compare(name.size() - 3, 3, ".so") == 0) {
      names.push_back(name);
    }
  }
  closedir(listing);
  if (names.empty())
    return absl::NotFoundError("no op library (_*.so) in " + dir);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    absl::Status status = LoadOpLibrary(dir + "/" + name);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// The strings of every input key of `runners`, read once per file.
absl::Status ReadInputs(const RunnerFlags& flags,
                        const std::vector<SignatureRunner>& runners,
                        StringsByKey* strings) {
  std::map<std::string, std::vector<std::string>> files;  // path -> strings
  for (const SignatureRunner& runner : runners) {
    for (const std::string& key : runner.input_keys()) {
      const auto named = flags.named_inputs.find(key);
      const std::string path = named != flags.named_inputs.end()
                                   ? named->second
                                   : flags.inputs_for_all;
      if (path.empty())
        continue;  // MakeFeeds names the input that lacks strings
      if (!files.count(path)) {
        std::string error;
        if (!ReadStringsFile(path, &files[path], &error)) {
          return absl::InvalidArgumentError(error);
        }
      }
      (*strings)[key] = files[path];
    }
  }
  for (const auto& named : flags.named_inputs) {
    if (!strings->count(named.first)) {
      return absl::InvalidArgumentError(
          "--inputs names '" + named.first +
          "', which no signature run takes as input");
    }
  }
  return absl::OkStatus();
}

// Prints nothing unless every signature ran.
absl::Status PrintOutputs(const std::vector<SignatureRunner>& runners,
                          const StringsByKey& strings) {
  std::ostringstream out;
  out << "{";
  for (size_t i = 0; i < runners.size(); ++i) {
    Feeds feeds;
    std::vector<tensorflow::Tensor> outputs;
    absl::Status status = runners[i].MakeFeeds(strings, &feeds);
    if (status.ok()) status = runners[i].Run(feeds, &outputs);
    if (!status.ok()) return status;
    out << (i > 0 ? ", " : "") << JsonString(runners[i].name()) << ": ";
    status = WriteTensorsJson(runners[i].output_keys(), outputs, out);
    if (!status.ok()) return status;
  }
  std::cout << out.str() << "}" << std::endl;
  return absl::OkStatus();
}

absl::Status Main(const RunnerFlags& flags) {
  if (!flags.tf_text_ops_dir.empty()) {
    absl::Status status = LoadTfTextOps(flags.tf_text_ops_dir);
    if (!status.ok()) return status;
  }
  for (const std::string& path : flags.op_libraries) {
    absl::Status status = LoadOpLibrary(path);
    if (!status.ok()) return status;
  }
  tensorflow::SavedModelBundle bundle;
  absl::Status status = tensorflow::LoadSavedModel(
      tensorflow::SessionOptions(), tensorflow::RunOptions(), flags.saved_model,
      {kServeTag}, &bundle);
  if (!status.ok()) {
    return absl::Status(status.code(), "cannot load the SavedModel at " +
                                           flags.saved_model + ": " +
                                           std::string(status.message()));
  }
  const std::vector<std::string> names =
      flags.signatures.empty() ? ServableSignatures(bundle) : flags.signatures;
  std::vector<SignatureRunner> runners(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    status = SignatureRunner::Create(bundle, names[i], &runners[i]);
    if (!status.ok()) return status;
  }
  StringsByKey strings;
  status = ReadInputs(flags, runners, &strings);
  if (!status.ok()) return status;
  if (!flags.bench) return PrintOutputs(runners, strings);
  BenchOptions options;
  options.threads = flags.threads;
  options.batch_sizes = flags.batch_sizes;
  options.seconds = flags.seconds;
  options.seed = flags.seed;
  for (const SignatureRunner& runner : runners) {
    status = RunBench(runner, strings, options, std::cout);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace tf_dynemb

int main(int argc, char** argv) {
  tf_dynemb::RunnerFlags flags;
  flags.tf_text_ops_dir = TF_DYNEMB_TF_TEXT_OPS_DIR;
  std::string error;
  if (!tf_dynemb::ParseRunnerFlags(argc, argv, &flags, &error)) {
    std::cerr << argv[0] << ": " << error << std::endl;
    return 2;
  }
  if (flags.help) {
    std::cout << tf_dynemb::kRunnerUsage;
    return 0;
  }
  const absl::Status status = tf_dynemb::Main(flags);
  if (!status.ok()) {
    std::cerr << argv[0] << ": " << status.message() << std::endl;
    return 1;
  }
  return 0;
}
