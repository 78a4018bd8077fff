#pragma once
// Bounded reading of JSON documents (households, policies, decision requests), shared
// so that every document gets the same limits and the same field-naming errors.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "calp/date.hpp"
#include "calp/error.hpp"

namespace calp::detail {

// Thrown while reading a document and caught at the public boundary, which turns it
// into a `result`: readers nest deeply and an exception keeps each one short.
struct input_error {
  calp::error error;
};

[[noreturn]] void throw_input_error(errc code, std::string message, std::string field);

struct json_bounds {
  std::size_t max_bytes;
  std::size_t max_depth;
  std::size_t max_string_length;
};

// Refuses documents over `max_bytes` or nested deeper than `max_depth` before parsing,
// so neither memory nor the parser's work grows with a hostile input; then parses,
// refusing malformed JSON, invalid UTF-8, numbers no double can hold and an object
// with the same key twice. Errors: json_too_large, json_too_deep, json_syntax.
[[nodiscard]] result<nlohmann::json> parse_json(std::string_view text, const json_bounds& bounds);

// "members[2]" or "delegation.to": the path used in error messages.
[[nodiscard]] std::string child_path(std::string_view parent, std::string_view key);
[[nodiscard]] std::string index_path(std::string_view parent, std::size_t index);

// A JSON type name for messages: "a string", "an array", ...
[[nodiscard]] std::string_view type_name(const nlohmann::json& j) noexcept;

// Reads one JSON object field by field. `finish()` rejects any field that was not
// asked for, so unknown fields never pass silently.
class object_reader {
 public:
  // Throws json_type when `j` is not an object.
  object_reader(const nlohmann::json& j, std::string path, std::size_t max_string_length);

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::string field_path(std::string_view key) const { return child_path(path_, key); }
  [[nodiscard]] std::size_t max_string_length() const noexcept { return max_string_length_; }

  // The value, or null when the field is absent or JSON null.
  [[nodiscard]] const nlohmann::json* optional(std::string_view key);
  // Throws json_missing_field when absent or null.
  [[nodiscard]] const nlohmann::json& required(std::string_view key);

  // Strings: json_type when not a string, json_too_long over the bound.
  [[nodiscard]] std::string required_string(std::string_view key);
  [[nodiscard]] std::optional<std::string> optional_string(std::string_view key);
  // Dates as `YYYY-MM-DD`: date_format when not a real day.
  [[nodiscard]] date required_date(std::string_view key);
  [[nodiscard]] std::optional<date> optional_date(std::string_view key);
  // Arrays: json_type when not an array, json_too_long over `max_items`; absent or
  // null gives an empty array.
  [[nodiscard]] const nlohmann::json& required_array(std::string_view key, std::size_t max_items);
  [[nodiscard]] const nlohmann::json* optional_array(std::string_view key, std::size_t max_items);

  // Throws json_unknown_field naming the first field that no call above asked for.
  void finish() const;

 private:
  const nlohmann::json& j_;
  std::string path_;
  std::size_t max_string_length_;
  std::vector<std::string_view> seen_;
};

// Checks a JSON value is a string within bounds and returns it (json_type, json_too_long).
[[nodiscard]] std::string string_value(const nlohmann::json& j, std::string_view path,
                                       std::size_t max_string_length);
// Checks a JSON value is a date string (json_type, date_format).
[[nodiscard]] date date_value(const nlohmann::json& j, std::string_view path);

// Calls `read` and turns an `input_error` into a failed result.
template <class F>
auto read_document(F&& read) -> result<decltype(read())> {
  try {
    return read();
  } catch (input_error& e) {
    return unexpected<calp::error>(std::move(e.error));
  }
}

}  // namespace calp::detail
