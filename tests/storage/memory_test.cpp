// The conformance suite on `calp::memory_storage`, directly and through a plain
// `calp::storage_wrapper` (which proves the wrapper forwards every method: a method it
// failed to forward would answer from nowhere and fail the suite).

#include <memory>
#include <utility>

#include <doctest/doctest.h>

#include "calp/storage/memory.hpp"
#include "calp/testing/storage_conformance.hpp"

namespace {

struct memory_factory {
  static std::unique_ptr<calp::storage> make() { return std::make_unique<calp::memory_storage>(); }
  static std::unique_ptr<calp::storage> make_chained(std::shared_ptr<const calp::audit_key> key) {
    return std::make_unique<calp::memory_storage>(std::move(key));
  }
};

// A `storage_wrapper` that overrides nothing; it only owns its target.
class owning_wrapper final : public calp::storage_wrapper {
 public:
  explicit owning_wrapper(std::unique_ptr<calp::storage> target)
      : storage_wrapper(*target), target_(std::move(target)) {}

 private:
  std::unique_ptr<calp::storage> target_;
};

struct wrapped_memory_factory {
  static std::unique_ptr<calp::storage> make() {
    return std::make_unique<owning_wrapper>(std::make_unique<calp::memory_storage>());
  }
  static std::unique_ptr<calp::storage> make_chained(std::shared_ptr<const calp::audit_key> key) {
    return std::make_unique<owning_wrapper>(std::make_unique<calp::memory_storage>(std::move(key)));
  }
};

}  // namespace

TYPE_TO_STRING_AS("memory", memory_factory);
TYPE_TO_STRING_AS("memory through storage_wrapper", wrapped_memory_factory);

CALP_STORAGE_CONFORMANCE(memory_factory, wrapped_memory_factory);

TEST_CASE("memory storage: two instances share nothing") {
  calp::memory_storage a;
  calp::memory_storage b;
  calp::write_batch batch;
  batch.put(calp::testing::conformance::make_throttle("k"), 0);
  REQUIRE(a.commit(batch));
  CHECK(a.find_throttle("k"));
  CHECK_FALSE(b.find_throttle("k"));
  // The same batch commits on the other one: versions are per storage.
  REQUIRE(b.commit(batch));
}
