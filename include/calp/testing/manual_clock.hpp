#pragma once
/// \file
/// A clock that moves only when told to, for tests of every time limit.

#include <atomic>
#include <chrono>

#include "calp/clock.hpp"

namespace calp::testing {

/// Starts at `start` and moves only through `set` and `advance`. Thread-safe.
class manual_clock final : public calp::clock {
 public:
  explicit manual_clock(timestamp start) noexcept : now_(start.time_since_epoch().count()) {}

  [[nodiscard]] timestamp now() override {
    return timestamp{std::chrono::seconds{now_.load()}};
  }
  void set(timestamp t) noexcept { now_.store(t.time_since_epoch().count()); }
  void advance(std::chrono::seconds d) noexcept { now_.fetch_add(d.count()); }

 private:
  std::atomic<std::chrono::seconds::rep> now_;
};

}  // namespace calp::testing
