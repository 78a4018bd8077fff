#pragma once
// Running the `calp` binary from a test, as other tools do.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "unit/test_support.hpp"

namespace calp::testing {

struct outcome {
  int status;
  std::string out;
  std::string err;
};

// Runs `calp ARGS` through the shell; `input`, when given, is its standard input, and
// `environment` (`NAME='value' …`) is set for that run only.
inline outcome calp_run(const std::string& args, const std::string& input = "",
                        const std::string& environment = "") {
  const auto dir = std::filesystem::temp_directory_path() / ("calp_cli_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto in = dir / "in";
  const auto out = dir / "out";
  const auto err = dir / "err";
  std::ofstream(in, std::ios::binary) << input;
  const std::string command = environment + " '" + CALP_CLI_PATH + "' " + args + " <'" + in.string() +
                              "' >'" + out.string() + "' 2>'" + err.string() + "'";
  const int raw = std::system(command.c_str());
  outcome o{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, calp::testing::read_file(out), calp::testing::read_file(err)};
  std::filesystem::remove_all(dir);
  return o;
}

// One JSON document per line, as `decide --requests` prints them.
inline std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  std::vector<nlohmann::json> out;
  while (std::getline(lines, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace calp::testing
