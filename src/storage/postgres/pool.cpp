#include "storage/postgres/pool.hpp"

#include <utility>

namespace calp::detail::pg {

pool::pool(const target& where, std::size_t size) : where_(where), size_(size) {}

pool::~pool() = default;

pool::lease::~lease() {
  if (connection_) owner_->give_back(std::move(connection_));
}

void pool::lease::discard() noexcept {
  if (!connection_) return;
  connection_.reset();
  {
    std::lock_guard lock(owner_->mutex_);
    --owner_->open_;
  }
  owner_->freed_.notify_one();
}

pool::lease pool::acquire() {
  std::unique_ptr<connection> c;
  {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
    }
  }
  if (c && !c->broken()) return lease(*this, std::move(c), true);
  // A broken idle connection gives its place to a new one.
  c.reset();
  try {
    c = std::make_unique<connection>(where_);
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    freed_.notify_one();
    throw;
  }
  return lease(*this, std::move(c), false);
}

void pool::give_back(std::unique_ptr<connection> c) noexcept {
  const bool reusable = !c->broken() && c->idle();
  if (!reusable) c.reset();
  {
    std::lock_guard lock(mutex_);
    if (reusable) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
    }
  }
  freed_.notify_one();
}

}  // namespace calp::detail::pg
