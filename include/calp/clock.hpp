#pragma once
/// \file
/// Where the services read the time. The core takes instants as arguments; the services
/// ask a `calp::clock`, so a test can move time by hand (9:59 valid, 10:01 expired) and a
/// host can pin every server to the same source.

#include "calp/time.hpp"

namespace calp {

/// A source of the current instant. Implementations must be safe to call from several
/// threads at once.
class clock {
 public:
  virtual ~clock() = default;
  [[nodiscard]] virtual timestamp now() = 0;
};

/// The system's UTC clock, to the second.
class system_clock final : public clock {
 public:
  [[nodiscard]] timestamp now() override;
};

}  // namespace calp
