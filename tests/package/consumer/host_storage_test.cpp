// A host proving its own storage with calp's conformance suite, as README.md tells: the
// "host storage" here is a wrapper that counts calls around calp's in-memory storage.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <atomic>
#include <calp/storage/memory.hpp>
#include <calp/testing/storage_conformance.hpp>
#include <memory>
#include <utility>

namespace {

class counting_storage final : public calp::storage_wrapper {
 public:
  explicit counting_storage(std::shared_ptr<const calp::audit_key> key = nullptr)
      : calp::storage_wrapper(inner_), inner_(std::move(key)) {}
  calp::result<calp::commit_receipt> commit(const calp::write_batch& batch) override {
    ++commits_;
    return storage_wrapper::commit(batch);
  }

 private:
  calp::memory_storage inner_;
  std::atomic<int> commits_{0};
};

struct host_storage_factory {
  static std::unique_ptr<calp::storage> make() { return std::make_unique<counting_storage>(); }
  static std::unique_ptr<calp::storage> make_chained(std::shared_ptr<const calp::audit_key> key) {
    return std::make_unique<counting_storage>(std::move(key));
  }
};

}  // namespace

TYPE_TO_STRING_AS("host storage", host_storage_factory);
CALP_STORAGE_CONFORMANCE(host_storage_factory);
