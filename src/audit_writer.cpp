#include "calp/audit_writer.hpp"

#include <algorithm>
#include <cstddef>
#include <exception>
#include <utility>

#include <fmt/format.h>

namespace calp {

audit_writer::audit_writer(storage& store, audit_writer_options options)
    : store_(&store), options_(options) {
  options_.max_batch = std::max<std::size_t>(options_.max_batch, 1);
  options_.max_pending = std::max(options_.max_pending, options_.max_batch);
  thread_ = std::thread([this] { run(); });
}

audit_writer::~audit_writer() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
  thread_.join();
}

result<void> audit_writer::submit(audit_event e) {
  {
    // Refused here rather than in the writer, where it would poison a whole batch.
    write_batch alone;
    alone.append(e);
    if (auto valid = alone.validate(); !valid) {
      return unexpected<error>{std::move(valid).error()};
    }
  }
  std::unique_lock lock(mutex_);
  if (pending_.size() >= options_.max_pending) {
    return fail(errc::storage_unavailable,
                fmt::format("{} audit events are waiting for the storage, which refuses them: {}",
                            pending_.size(), last_failure_));
  }
  pending_.push_back({std::move(e), std::chrono::steady_clock::now()});
  ++submitted_;
  // The writer sleeps until the first event (to start the delay) or a full batch.
  const bool wake = pending_.size() == 1 || pending_.size() == options_.max_batch;
  lock.unlock();
  if (wake) work_.notify_one();
  return {};
}

result<void> audit_writer::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = submitted_;
  const std::uint64_t failures = stats_.failures;
  ++flushes_waiting_;
  work_.notify_one();
  done_.wait(lock, [&] { return stats_.committed >= target || stats_.failures > failures; });
  --flushes_waiting_;
  if (stats_.committed >= target) return {};
  return fail(errc::storage_unavailable,
              "audit events could not be committed, they are kept and retried: " + last_failure_);
}

audit_writer_stats audit_writer::stats() const {
  const std::lock_guard lock(mutex_);
  audit_writer_stats s = stats_;
  s.pending = pending_.size();
  return s;
}

void audit_writer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, nothing left
    // A batch waits to fill up, at most `max_delay` after its oldest event, unless
    // someone is waiting for it.
    work_.wait_until(lock, pending_.front().since + options_.max_delay, [&] {
      return stopping_ || flushes_waiting_ > 0 || pending_.size() >= options_.max_batch;
    });
    if (commit_front(lock, std::min(pending_.size(), options_.max_batch))) continue;
    if (stopping_) {
      // One more attempt at what is left, then the destructor must return.
      while (!pending_.empty() && commit_front(lock, std::min(pending_.size(), options_.max_batch))) {
      }
      return;
    }
    // The storage failed: wait a little before retrying, instead of spinning on it.
    work_.wait_for(lock, std::max(options_.max_delay, std::chrono::milliseconds(10)),
                   [&] { return stopping_; });
  }
}

bool audit_writer::commit_front(std::unique_lock<std::mutex>& lock, std::size_t n) {
  write_batch batch;
  for (std::size_t i = 0; i < n; ++i) batch.append(pending_[i].event);
  lock.unlock();
  std::string failure;
  try {
    auto committed = store_->commit(batch);
    if (!committed) {
      failure = fmt::format("{}: {}", to_string(committed.error().code), committed.error().message);
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  lock.lock();
  const bool ok = failure.empty();
  if (ok) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    stats_.committed += n;
    ++stats_.commits;
  } else {
    last_failure_ = std::move(failure);
    ++stats_.failures;
  }
  done_.notify_all();
  return ok;
}

}  // namespace calp
