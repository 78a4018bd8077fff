// `calp password check` (R12), driven as other tools drive it: the password on standard
// input, one JSON object on stdout, exit 0 valid, 1 not, 2 bad usage.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "unit/cli_support.hpp"

namespace {

using calp::testing::calp_run;

// Neither output stream ever holds the password.
void check_not_echoed(const calp::testing::outcome& o, const std::string& password) {
  CHECK(o.out.find(password) == std::string::npos);
  CHECK(o.err.find(password) == std::string::npos);
}

}  // namespace

TEST_CASE("R12 calp password check: a valid password, exit 0, every rule true, in order") {
  const auto o = calp_run("password check", "Tq7vLm2pX\n");
  CHECK(o.status == 0);
  CHECK(o.err.empty());
  CHECK(o.out ==
        "{\"valid\":true,\"rules\":{\"length\":true,\"digit\":true,\"lower\":true,\"upper\":true,"
        "\"confirmation\":true,\"not_common\":true,\"no_personal_data\":true,\"valid_utf8\":true,"
        "\"no_control_characters\":true},\"refusals\":[]}\n");
  check_not_echoed(o, "Tq7vLm2pX");
}

TEST_CASE("R12 calp password check: the second line is the confirmation") {
  auto o = calp_run("password check", "Tq7vLm2pX\nTq7vLm2pX\n");
  CHECK(o.status == 0);

  o = calp_run("password check", "Tq7vLm2pX\nTq7vLm2pY\n");
  CHECK(o.status == 1);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["valid"] == false);
  CHECK(j["rules"]["confirmation"] == false);
  CHECK(j["rules"]["length"] == true);
  CHECK(j["refusals"].empty());
  check_not_echoed(o, "Tq7vLm2p");

  // No final newline, and Windows line ends, are read the same.
  CHECK(calp_run("password check", "Tq7vLm2pX").status == 0);
  CHECK(calp_run("password check", "Tq7vLm2pX\r\nTq7vLm2pX\r\n").status == 0);
}

TEST_CASE("R12 calp password check: the ✓ rules that fail are false, exit 1") {
  const auto o = calp_run("password check", "abc\n");
  CHECK(o.status == 1);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["valid"] == false);
  CHECK(j["rules"]["length"] == false);
  CHECK(j["rules"]["digit"] == false);
  CHECK(j["rules"]["lower"] == true);
  CHECK(j["rules"]["upper"] == false);
  CHECK(j["rules"]["confirmation"] == true);
}

TEST_CASE("R12 calp password check: a common password is refused with a French message") {
  const auto o = calp_run("password check", "Azerty123!\n");
  CHECK(o.status == 1);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["rules"]["not_common"] == false);
  REQUIRE(j["refusals"].size() == 1);
  CHECK(j["refusals"][0]["code"] == "common");
  CHECK(j["refusals"][0]["message"].get<std::string>().find("mot de passe") != std::string::npos);
  check_not_echoed(o, "Azerty123!");
}

TEST_CASE("R12 calp password check: invalid UTF-8 and control characters are refused") {
  auto o = calp_run("password check", "Tq7vLm2p\xC3\n");
  CHECK(o.status == 1);
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["rules"]["valid_utf8"] == false);
  CHECK(j["refusals"][0]["code"] == "invalid_utf8");

  o = calp_run("password check", "Tq7v\tLm2pX\n");
  CHECK(o.status == 1);
  j = nlohmann::json::parse(o.out);
  CHECK(j["rules"]["no_control_characters"] == false);
  CHECK(j["refusals"][0]["code"] == "control_character");
}

TEST_CASE("R12 calp password check --nir --birth-date --name refuse the person's data") {
  const std::string data = "password check --nir '2 84 05 2A 321 025 52' --birth-date 1985-03-12 "
                           "--name 'Dupont-Martin, Élodie'";
  auto o = calp_run(data, "Zz284052a321025\n");
  CHECK(o.status == 1);
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["rules"]["no_personal_data"] == false);
  CHECK(j["refusals"][0]["code"] == "contains_nir");
  // The NIR given on the command line is not repeated either.
  CHECK(o.out.find("284052") == std::string::npos);

  o = calp_run(data, "Zq12/03/1985\n");
  CHECK(o.status == 1);
  j = nlohmann::json::parse(o.out);
  CHECK(j["refusals"][0]["code"] == "contains_birth_date");

  o = calp_run(data, "Martin2024x\n");
  CHECK(o.status == 1);
  j = nlohmann::json::parse(o.out);
  CHECK(j["refusals"].back()["code"] == "contains_name");

  CHECK(calp_run(data, "Tq7vLm2pX\n").status == 0);
}

TEST_CASE("R12 calp password check: usage errors exit 2 with nothing on stdout") {
  // A password given as an argument is refused without being repeated.
  auto o = calp_run("password check Tq7vLm2pX", "");
  CHECK(o.status == 2);
  CHECK(o.out.empty());
  check_not_echoed(o, "Tq7vLm2pX");

  o = calp_run("password check", "");
  CHECK(o.status == 2);
  CHECK(o.out.empty());

  o = calp_run("password check", "Tq7vLm2pX\nTq7vLm2pX\nTq7vLm2pX\n");
  CHECK(o.status == 2);
  CHECK(o.out.empty());
  check_not_echoed(o, "Tq7vLm2pX");

  o = calp_run("password check", std::string(5000, 'a'));
  CHECK(o.status == 2);
  CHECK(o.out.empty());

  for (const std::string args : {"--birth-date 12/03/1985", "--nir 284058832102533", "--nir",
                                 "--name a --name b", "--unknown x"}) {
    CAPTURE(args);
    o = calp_run("password check " + args, "Tq7vLm2pX\n");
    CHECK(o.status == 2);
    CHECK(o.out.empty());
    CHECK_FALSE(o.err.empty());
  }
  // A bad NIR is not repeated whole either.
  o = calp_run("password check --nir 284058832102533", "Tq7vLm2pX\n");
  CHECK(o.err.find("284058832102533") == std::string::npos);
}

TEST_CASE("R12 calp password check --help says the password is read from standard input") {
  const auto o = calp_run("password check --help");
  CHECK(o.status == 0);
  CHECK(o.out.find("standard input") != std::string::npos);
  CHECK(o.out.find("second line") != std::string::npos);
  CHECK(calp_run("--help").out.find("password check") != std::string::npos);
}
