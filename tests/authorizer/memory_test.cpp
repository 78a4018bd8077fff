// The authorizer over storage on the in-memory storage.
#include <memory>

#include "authorizer/storage_authorizer_tests.hpp"
#include "calp/storage/memory.hpp"

namespace {

struct memory_factory {
  static std::unique_ptr<calp::storage> make() { return std::make_unique<calp::memory_storage>(); }
};

}  // namespace

TYPE_TO_STRING_AS("memory", memory_factory);
CALP_STORAGE_AUTHORIZER_TESTS(memory_factory);
