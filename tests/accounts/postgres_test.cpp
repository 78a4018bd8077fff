// The account service's rules on the PostgreSQL storage, each case in a scratch schema,
// then its limits with 4 processes sharing one schema.

#include <memory>

#include "accounts/account_races.hpp"
#include "accounts/delegation_races.hpp"
#include "accounts/account_tests.hpp"
#include "accounts/delegation_tests.hpp"
#include "accounts/primo_races.hpp"
#include "accounts/primo_tests.hpp"
#include "storage/postgres_factory.hpp"

namespace {

using calp_pg_test::postgres_factory;

// One scratch schema for a whole race case: every process opens it.
struct shared_postgres_factory {
  static inline std::unique_ptr<calp_pg_test::scratch_schema> schema;
  static void reset() {
    schema.reset();
    // Without a server, make() below fails the case the way postgres_factory does.
    if (const auto uri = calp_pg_test::server_uri()) {
      schema = std::make_unique<calp_pg_test::scratch_schema>(*uri);
    }
  }
  static std::unique_ptr<calp::storage> make() {
    if (!schema) return postgres_factory::make();
    return schema->open();
  }
};

}  // namespace

TYPE_TO_STRING_AS("postgres", postgres_factory);
CALP_ACCOUNT_TESTS(postgres_factory);
CALP_DELEGATION_TESTS(postgres_factory);
CALP_PRIMO_TESTS(postgres_factory);

TYPE_TO_STRING_AS("postgres, 4 processes", shared_postgres_factory);
CALP_ACCOUNT_RACES(shared_postgres_factory);
CALP_DELEGATION_RACES(shared_postgres_factory);
CALP_PRIMO_RACES(shared_postgres_factory);
