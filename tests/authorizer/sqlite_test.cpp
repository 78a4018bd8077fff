// The authorizer over storage on the SQLite storage, then R10 across two handles on one
// file (as two processes would hold them).
#include <memory>

#include "authorizer/storage_authorizer_tests.hpp"
#include "storage/sqlite_support.hpp"

namespace {

struct sqlite_factory {
  static std::unique_ptr<calp::storage> make() {
    return std::make_unique<calp::testing::owned_sqlite_storage>();
  }
};

}  // namespace

TYPE_TO_STRING_AS("sqlite", sqlite_factory);
CALP_STORAGE_AUTHORIZER_TESTS(sqlite_factory);

TEST_CASE("authorizer: R10 a délégation revoked through one SQLite handle denies on the next "
          "decision through another") {
  using namespace calp_authz_test;
  calp::testing::temp_dir dir;
  calp::sqlite_storage deciding{calp::sqlite_options{.path = dir.file("calp.db")}};
  calp::sqlite_storage revoking{calp::sqlite_options{.path = dir.file("calp.db")}};
  calp::storage_authorizer authz(deciding);
  const auto at = day(2026, 11, 28);
  store_household(revoking, couple());
  const auto ask = [&] {
    return authz.authorize("p2", dossier("1234567"), calp::action::changes_declare,
                           calp::channel::online, "", at)
        .value();
  };
  CHECK(ask().allowed);
  store_household(revoking, couple(at));
  CHECK_FALSE(ask().allowed);
  CHECK(ask().reason == "conjoint_without_delegation");
  // Both handles see the audit events of the decisions.
  CHECK(all_events(revoking).size() == 3);
}
