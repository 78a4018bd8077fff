#include <doctest/doctest.h>

#include <string>

#include "calp/storage/open.hpp"

TEST_CASE("redacted_location hides a PostgreSQL password and keeps the rest readable") {
  CHECK(calp::redacted_location("postgresql://calp:s3cret@db.caf.fr:5432/caf") ==
        "postgresql://calp:***@db.caf.fr:5432/caf");
  CHECK(calp::redacted_location("POSTGRES://calp:s3cret@db/caf?sslmode=require") ==
        "POSTGRES://calp:***@db/caf?sslmode=require");
  CHECK(calp::redacted_location("postgresql://calp:p@ss@word@db/caf") == "postgresql://calp:***@db/caf");
  CHECK(calp::redacted_location("postgresql://calp@db/caf?sslmode=require&password=s3cret&x=1") ==
        "postgresql://calp@db/caf?sslmode=require&password=***&x=1");
  CHECK(calp::redacted_location("postgresql://calp@db/caf?PASSWORD=s3cret") ==
        "postgresql://calp@db/caf?PASSWORD=***");
  CHECK(calp::redacted_location("host=db password='it\\'s secret' dbname=caf") ==
        "host=db password=*** dbname=caf");
  CHECK(calp::redacted_location("postgresql://calp@db/caf") == "postgresql://calp@db/caf");
  CHECK(calp::redacted_location("/var/lib/calp/caf.sqlite") == "/var/lib/calp/caf.sqlite");
  CHECK(calp::redacted_location("postgresql://:s3cret@/caf?host=/run/pg") ==
        "postgresql://:***@/caf?host=/run/pg");
}
