#pragma once
// Telling the allocataire and the conjoint that a délégation was granted or revoked:
// shared by household_service and by the délégation offer of a first connection.

#include "calp/date.hpp"
#include "calp/ids.hpp"
#include "calp/notifier.hpp"
#include "calp/storage.hpp"

namespace calp::detail {

enum class delegation_change { granted, revoked };

// After the commit, at each verified contact point of both accounts; a storage or
// notifier failure loses only the notice (the change holds).
void inform_delegation(storage& store, notifier& notify, delegation_change change,
                       const person_id& allocataire, const person_id& conjoint, date on) noexcept;

}  // namespace calp::detail
