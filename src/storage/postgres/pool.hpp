#pragma once
// A fixed-size pool of libpq connections, opened on demand and lent to one caller at a
// time. A connection that broke or was left inside a transaction is closed instead of
// going back to the pool; one found broken when lent is replaced by a new one.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/postgres/libpq.hpp"

namespace calp::detail::pg {

class pool {
 public:
  // `where` must outlive the pool. `size` is at least 1.
  pool(const target& where, std::size_t size);
  // Every lease must have been returned.
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  // A borrowed connection; goes back to the pool (or is closed) when destroyed.
  class lease {
   public:
    lease(pool& owner, std::unique_ptr<connection> c, bool reused) noexcept
        : owner_(&owner), connection_(std::move(c)), reused_(reused) {}
    lease(lease&& other) noexcept = default;
    lease& operator=(lease&&) = delete;
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease();

    [[nodiscard]] connection& operator*() const noexcept { return *connection_; }
    [[nodiscard]] connection* operator->() const noexcept { return connection_.get(); }
    // Came from the pool rather than freshly opened: it may have been closed by the
    // server while idle, so a failure to reach the server is worth one retry.
    [[nodiscard]] bool reused() const noexcept { return reused_; }
    // Closes the connection now instead of returning it.
    void discard() noexcept;

   private:
    pool* owner_;
    std::unique_ptr<connection> connection_;
    bool reused_;
  };

  // Waits for a free connection, or opens one while fewer than `size` are open. Throws
  // `storage_error` when a new connection fails.
  [[nodiscard]] lease acquire();

 private:
  void give_back(std::unique_ptr<connection> c) noexcept;

  const target& where_;
  std::size_t size_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::size_t open_ = 0;  // idle or lent
};

}  // namespace calp::detail::pg
