#include "calp/secret.hpp"

#include <sodium.h>

#include <atomic>
#include <cstring>
#include <utility>

#include "crypto/secret_wipe_hook.hpp"

namespace calp {

namespace {

std::atomic<detail::secret_wipe_observer> wipe_observer{nullptr};

}  // namespace

namespace detail {

secret_wipe_observer set_secret_wipe_observer(secret_wipe_observer observer) noexcept {
  return wipe_observer.exchange(observer);
}

}  // namespace detail

// The bytes live on the heap, not in a std::string: a short string's bytes sit inside
// the object, and a move would copy them, leaving an unwiped copy behind.
secret::secret(std::string_view text) {
  if (text.empty()) return;
  data_ = new char[text.size()];
  std::memcpy(data_, text.data(), text.size());
  size_ = text.size();
}

secret secret::take(std::string& text) {
  secret s{std::string_view{text}};
  // Only [0, size()) is known to hold the secret; earlier, longer values the string
  // once held are beyond what this function can know about.
  if (!text.empty()) sodium_memzero(text.data(), text.size());
  text.clear();
  return s;
}

secret::secret(secret&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

secret& secret::operator=(secret&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

secret::~secret() { wipe(); }

void secret::wipe() noexcept {
  if (data_ == nullptr) return;
  sodium_memzero(data_, size_);
  if (const auto observe = wipe_observer.load()) observe(data_, size_);
  delete[] data_;
  data_ = nullptr;
  size_ = 0;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace calp
