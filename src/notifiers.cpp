#include "calp/notifiers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <utility>

namespace calp {

namespace {

// Searching from the end: a flow that re-sends a code wants the code it sent last.
template <class Notice>
std::optional<Notice> last_to(const std::vector<Notice>& sent, std::string_view to) {
  const auto it = std::find_if(sent.rbegin(), sent.rend(),
                               [to](const Notice& n) { return n.to == to; });
  if (it == sent.rend()) return std::nullopt;
  return *it;
}

// Two spaces before each non-empty line, so the text stands out from the heading and
// shows its own blank lines without trailing spaces.
std::string indented(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16 + 8);
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    if (!line.empty()) out += "  ";
    out += line;
    out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace

bool recording_notifier::take_failure() {
  if (pending_failures_ == 0) return false;
  --pending_failures_;
  ++failures_;
  return true;
}

void recording_notifier::send_sms(const sms_notice& notice) {
  {
    const std::lock_guard lock(mutex_);
    if (!take_failure()) {
      sms_.push_back(notice);
      return;
    }
  }
  // Thrown outside the lock; the message names no text, which may hold a code.
  throw notifier_error(fmt::format("recording_notifier: injected failure of an SMS ({})",
                                   to_string(notice.kind)));
}

void recording_notifier::send_email(const email_notice& notice) {
  {
    const std::lock_guard lock(mutex_);
    if (!take_failure()) {
      emails_.push_back(notice);
      return;
    }
  }
  throw notifier_error(fmt::format("recording_notifier: injected failure of an e-mail ({})",
                                   to_string(notice.kind)));
}

std::vector<sms_notice> recording_notifier::sms() const {
  const std::lock_guard lock(mutex_);
  return sms_;
}

std::vector<email_notice> recording_notifier::emails() const {
  const std::lock_guard lock(mutex_);
  return emails_;
}

std::optional<sms_notice> recording_notifier::last_sms_to(std::string_view to) const {
  const std::lock_guard lock(mutex_);
  return last_to(sms_, to);
}

std::optional<email_notice> recording_notifier::last_email_to(std::string_view to) const {
  const std::lock_guard lock(mutex_);
  return last_to(emails_, to);
}

void recording_notifier::fail_next(std::size_t count) {
  const std::lock_guard lock(mutex_);
  pending_failures_ = count;
}

std::size_t recording_notifier::failures() const {
  const std::lock_guard lock(mutex_);
  return failures_;
}

void recording_notifier::clear() {
  const std::lock_guard lock(mutex_);
  sms_.clear();
  emails_.clear();
  pending_failures_ = 0;
  failures_ = 0;
}

void console_notifier::send_sms(const sms_notice& notice) {
  write(fmt::format("SMS à {} ({})\u00a0:\n{}\n", notice.to, to_string(notice.kind),
                    indented(notice.text)));
}

void console_notifier::send_email(const email_notice& notice) {
  write(fmt::format("Mail à {}, objet «\u00a0{}\u00a0» ({})\u00a0:\n{}\n", notice.to, notice.subject,
                    to_string(notice.kind), indented(notice.text)));
}

void console_notifier::write(const std::string& block) {
  // Built before the lock and written in one call, so threads' blocks never interleave
  // and the lock is held only for the write.
  const std::lock_guard lock(mutex_);
  out_ << block << std::flush;
  if (!out_) throw notifier_error("console_notifier: the output stream failed");
}

}  // namespace calp
