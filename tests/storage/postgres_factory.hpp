#pragma once
// A factory of `postgres_storage`s, each in a scratch schema of the server named by
// CALP_TEST_POSTGRES_URI and dropped with it: for suites written once for every storage
// (the conformance suite, the account tests).

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "calp/storage/postgres.hpp"
#include "postgres_support.hpp"

namespace calp_pg_test {

// A `postgres_storage` that owns its scratch schema: the storage (and its connections)
// goes first, then the schema is dropped.
class scratch_postgres final : public calp::storage_wrapper {
 public:
  scratch_postgres(std::unique_ptr<calp_pg_test::scratch_schema> schema,
                   std::unique_ptr<calp::postgres_storage> store)
      : storage_wrapper(*store), schema_(std::move(schema)), store_(std::move(store)) {}

 private:
  std::unique_ptr<calp_pg_test::scratch_schema> schema_;
  std::unique_ptr<calp::postgres_storage> store_;
};

struct postgres_factory {
  static std::unique_ptr<calp::storage> make() { return make_chained(nullptr); }
  static std::unique_ptr<calp::storage> make_chained(std::shared_ptr<const calp::audit_key> key) {
    const auto uri = calp_pg_test::server_uri();
    if (!uri) {
      // The suite cannot return early from here: the case fails, and without
      // CALP_REQUIRE_POSTGRES ctest reads the marker and reports it skipped.
      const std::string message = calp_pg_test::missing_server_message();
      std::printf("%s\n", message.c_str());
      std::fflush(stdout);
      throw std::runtime_error(message);
    }
    auto schema = std::make_unique<calp_pg_test::scratch_schema>(*uri);
    auto store = schema->open(4, std::move(key));
    return std::make_unique<scratch_postgres>(std::move(schema), std::move(store));
  }
};

}  // namespace calp_pg_test

