#pragma once
// What several test executables need: their data folder and whole-file reading.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace calp::testing {

inline const std::filesystem::path test_data_dir{CALP_TEST_DATA_DIR};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot open " << path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace calp::testing
