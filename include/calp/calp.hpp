#pragma once
/// \file
/// Everything public in `calp::calp`, for hosts that prefer one include. The SQL storages
/// (`calp/storage/sqlite.hpp`, `calp/storage/postgres.hpp`, `calp/storage/open.hpp`) are
/// in their own targets and included on their own.

#include "calp/accounts.hpp"
#include "calp/action.hpp"
#include "calp/authorizer.hpp"
#include "calp/civil_status.hpp"
#include "calp/clock.hpp"
#include "calp/contact.hpp"
#include "calp/date.hpp"
#include "calp/delegation.hpp"
#include "calp/error.hpp"
#include "calp/franceconnect.hpp"
#include "calp/household.hpp"
#include "calp/ids.hpp"
#include "calp/login_throttle.hpp"
#include "calp/nir.hpp"
#include "calp/notices.hpp"
#include "calp/notifier.hpp"
#include "calp/notifiers.hpp"
#include "calp/password_hasher.hpp"
#include "calp/password_policy.hpp"
#include "calp/policy.hpp"
#include "calp/roles.hpp"
#include "calp/secret.hpp"
#include "calp/storage.hpp"
#include "calp/storage/memory.hpp"
#include "calp/storage_authorizer.hpp"
#include "calp/time.hpp"
#include "calp/verification_code.hpp"
#include "calp/version.hpp"
