// The storage conformance suite on `calp::postgres_storage`, each case in a fresh
// schema of the server named by CALP_TEST_POSTGRES_URI, dropped afterwards.

#include <memory>
#include <stdexcept>
#include <utility>

#include <doctest/doctest.h>

#include "calp/storage/postgres.hpp"
#include "calp/testing/storage_conformance.hpp"
#include "postgres_factory.hpp"

using calp_pg_test::postgres_factory;

TYPE_TO_STRING_AS("postgres", postgres_factory);

CALP_STORAGE_CONFORMANCE(postgres_factory);
