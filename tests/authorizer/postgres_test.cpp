// The authorizer over storage on the PostgreSQL storage, each case in a scratch schema
// (registered in tests/storage/postgres.cmake, which skips or requires a server), then
// R10 across two storages on one schema (as two application servers would hold them).
#include <memory>

#include "authorizer/storage_authorizer_tests.hpp"
#include "storage/postgres_factory.hpp"

namespace {

using calp_pg_test::postgres_factory;

}  // namespace

TYPE_TO_STRING_AS("postgres", postgres_factory);
CALP_STORAGE_AUTHORIZER_TESTS(postgres_factory);

TEST_CASE("authorizer: R10 a délégation revoked through one PostgreSQL storage denies on the "
          "next decision through another") {
  using namespace calp_authz_test;
  CALP_PG_SERVER_OR_SKIP(uri);
  calp_pg_test::scratch_schema schema(uri);
  const auto deciding = schema.open();
  const auto revoking = schema.open();
  calp::storage_authorizer authz(*deciding);
  const auto at = day(2026, 11, 28);
  store_household(*revoking, couple());
  const auto ask = [&] {
    return authz.authorize("p2", dossier("1234567"), calp::action::benefit_request,
                           calp::channel::online, "", at)
        .value();
  };
  CHECK(ask().allowed);
  store_household(*revoking, couple(at));
  CHECK_FALSE(ask().allowed);
  CHECK(ask().reason == "conjoint_without_delegation");
  CHECK(all_events(*revoking).size() == 3);
}
