// Runs the shared decision corpus (tests/corpus/decisions/*.json), the same files the
// Python tests read.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "calp/calp.hpp"
#include "unit/test_support.hpp"

namespace {

std::vector<std::filesystem::path> corpus_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& e :
       std::filesystem::directory_iterator(calp::testing::test_data_dir / "corpus/decisions")) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("R5-R10 every case of the decision corpus decides as written") {
  const auto files = corpus_files();
  REQUIRE(files.size() >= 5);
  std::size_t cases = 0;
  for (const auto& file : files) {
    const auto doc = nlohmann::json::parse(calp::testing::read_file(file));
    const auto h = calp::household::from_json(doc.at("household").dump());
    INFO(file.filename().string());
    REQUIRE_MESSAGE(h.has_value(), (h ? "" : h.error().message));
    for (const auto& c : doc.at("cases")) {
      const std::string person = c.at("person");
      const auto act = calp::parse_action(c.at("action").get<std::string>());
      const auto at = calp::parse_date(c.at("at").get<std::string>());
      REQUIRE(act.has_value());
      REQUIRE(at.has_value());
      const auto chan = calp::parse_channel(c.value("channel", std::string("online")));
      REQUIRE(chan.has_value());
      const std::string agent = c.value("agent", std::string());
      const calp::decision d = calp::decide(*h, {person, *act, *at, *chan, agent});
      INFO(c.at("name").get<std::string>());
      CHECK(d.allowed == c.at("allowed").get<bool>());
      CHECK(d.reason == c.at("reason").get<std::string>());
      CHECK_FALSE(d.message.empty());
      ++cases;
    }
  }
  CHECK(cases >= 40);
}
