// The account service's rules on the SQLite storage, then its limits with 4 processes
// sharing one file.

#include <memory>

#include "accounts/account_races.hpp"
#include "accounts/delegation_races.hpp"
#include "accounts/account_tests.hpp"
#include "accounts/delegation_tests.hpp"
#include "accounts/primo_races.hpp"
#include "accounts/primo_tests.hpp"
#include "storage/sqlite_support.hpp"

namespace {

struct sqlite_factory {
  static std::unique_ptr<calp::storage> make() {
    return std::make_unique<calp::testing::owned_sqlite_storage>();
  }
};

// One file for a whole race case: every process opens it.
struct shared_sqlite_factory {
  static inline std::unique_ptr<calp::testing::temp_dir> dir;
  static void reset() { dir = std::make_unique<calp::testing::temp_dir>(); }
  static std::unique_ptr<calp::storage> make() {
    return std::make_unique<calp::sqlite_storage>(calp::sqlite_options{.path = dir->file("calp.db")});
  }
};

}  // namespace

TYPE_TO_STRING_AS("sqlite", sqlite_factory);
CALP_ACCOUNT_TESTS(sqlite_factory);
CALP_DELEGATION_TESTS(sqlite_factory);
CALP_PRIMO_TESTS(sqlite_factory);

TYPE_TO_STRING_AS("sqlite, 4 processes", shared_sqlite_factory);
CALP_ACCOUNT_RACES(shared_sqlite_factory);
CALP_DELEGATION_RACES(shared_sqlite_factory);
CALP_PRIMO_RACES(shared_sqlite_factory);
