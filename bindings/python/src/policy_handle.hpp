#pragma once
// A policy as Python holds it. Decisions point into their policy's strings, so whatever
// outlives a call (a Decision, a StorageAuthorizer) shares ownership of the policy.

#include <memory>

#include "calp/policy.hpp"

namespace calp::python {

struct policy_handle {
  std::shared_ptr<const calp::policy> rules;

  /// `policy::caf_default()`, which lives as long as the process: owned by nobody. One
  /// handle for all, so that a decision under the default policy allocates nothing.
  [[nodiscard]] static policy_handle caf_default() {
    static const std::shared_ptr<const calp::policy> rules(&calp::policy::caf_default(),
                                                           [](const calp::policy*) {});
    return {rules};
  }
};

}  // namespace calp::python
