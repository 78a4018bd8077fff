#pragma once
/// \file
/// Everything public in calp, for hosts that prefer one include.

#include "calp/action.hpp"
#include "calp/authorizer.hpp"
#include "calp/date.hpp"
#include "calp/error.hpp"
#include "calp/household.hpp"
#include "calp/ids.hpp"
#include "calp/nir.hpp"
#include "calp/policy.hpp"
#include "calp/roles.hpp"
#include "calp/version.hpp"
