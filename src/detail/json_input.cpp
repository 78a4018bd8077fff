#include "detail/json_input.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <unordered_set>

#include "detail/input_text.hpp"

namespace calp::detail {

void throw_input_error(errc code, std::string message, std::string field) {
  throw input_error{calp::error{code, std::move(message), std::move(field)}};
}

namespace {

// Depth of `[`/`{` nesting outside strings. Linear, no allocation: it runs before the
// parser so that the parser never sees a document nested deeper than allowed.
std::size_t nesting_depth_exceeds(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) return i;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return std::string_view::npos;
}

// nlohmann keeps the last of two equal keys where other readers keep the first, so one
// document could mean two different things: an object with a key twice is refused. The
// parser reports keys one at a time; the stack of open containers gives the path of
// the repeated key for the error.
// How a message names the place of `path`: the root has no path.
std::string where(const std::string& path) { return path.empty() ? "the document" : path; }

class duplicate_key_check {
 public:
  void on_event(nlohmann::json::parse_event_t event, const nlohmann::json& parsed) {
    using event_t = nlohmann::json::parse_event_t;
    switch (event) {
      case event_t::object_start:
      case event_t::array_start: {
        auto path = next_path();
        open_.push_back(open_container{std::move(path), event == event_t::array_start, 0, {}, {}});
        break;
      }
      case event_t::object_end:
      case event_t::array_end: open_.pop_back(); break;
      case event_t::key: {
        auto& object = open_.back();
        const auto& key = parsed.get_ref<const std::string&>();
        object.last_key = echo(key);
        if (!object.keys.insert(key).second) {
          throw_input_error(errc::json_syntax,
                            fmt::format("key `{}` appears twice in {}", object.last_key,
                                        where(object.path)),
                            child_path(object.path, object.last_key));
        }
        break;
      }
      case event_t::value:
        if (!open_.empty() && open_.back().is_array) ++open_.back().next_index;
        break;
    }
  }

 private:
  struct open_container {
    std::string path;
    bool is_array;
    std::size_t next_index;                // arrays: index of the next element
    std::string last_key;                  // objects: key of the value being read
    std::unordered_set<std::string> keys;  // objects: keys seen so far
  };

  std::string next_path() {
    if (open_.empty()) return {};
    auto& parent = open_.back();
    if (parent.is_array) return index_path(parent.path, parent.next_index++);
    return child_path(parent.path, parent.last_key);
  }

  std::vector<open_container> open_;
};

}  // namespace

result<nlohmann::json> parse_json(std::string_view text, const json_bounds& bounds) {
  if (text.size() > bounds.max_bytes) {
    return fail(errc::json_too_large,
                fmt::format("document of {} bytes is over the limit of {} bytes", text.size(),
                            bounds.max_bytes));
  }
  if (const auto at = nesting_depth_exceeds(text, bounds.max_depth); at != std::string_view::npos) {
    return fail(errc::json_too_deep, fmt::format("document nests deeper than {} levels at byte {}",
                                                 bounds.max_depth, at + 1));
  }
  duplicate_key_check check;
  try {
    return nlohmann::json::parse(
        text.begin(), text.end(),
        [&check](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          check.on_event(event, parsed);
          return true;
        });
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's message quotes the last bytes read, which may be part of a secret
    // or invalid UTF-8: keep only the position.
    return fail(errc::json_syntax,
                fmt::format("malformed JSON or invalid UTF-8 near byte {}", e.byte));
  } catch (const nlohmann::json::out_of_range&) {
    // The parser reports a number no double can hold (`1e999`) this way, not as a
    // parse error.
    return fail(errc::json_syntax, "a number is too large to represent");
  } catch (input_error& e) {
    return unexpected<calp::error>(std::move(e.error));
  }
}

std::string child_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string index_path(std::string_view parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string_view type_name(const nlohmann::json& j) noexcept {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

std::string string_value(const nlohmann::json& j, std::string_view path,
                         std::size_t max_string_length) {
  if (!j.is_string()) {
    throw_input_error(errc::json_type, fmt::format("{} must be a string, not {}", path, type_name(j)),
                      std::string(path));
  }
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() > max_string_length) {
    throw_input_error(errc::json_too_long,
                      fmt::format("{} is {} bytes long, over the limit of {}", path, s.size(),
                                  max_string_length),
                      std::string(path));
  }
  return s;
}

date date_value(const nlohmann::json& j, std::string_view path) {
  // A date never needs more than a few bytes: a longer string is refused before copying.
  constexpr std::size_t longest_date_text = 32;
  auto parsed = parse_date(string_value(j, path, longest_date_text));
  if (!parsed) throw_input_error(errc::date_format, fmt::format("{}: {}", path, parsed.error().message), std::string(path));
  return *parsed;
}

object_reader::object_reader(const nlohmann::json& j, std::string path, std::size_t max_string_length)
    : j_(j), path_(std::move(path)), max_string_length_(max_string_length) {
  if (!j_.is_object()) {
    throw_input_error(errc::json_type, fmt::format("{} must be an object, not {}", where(path_), type_name(j_)),
                      path_);
  }
}

const nlohmann::json* object_reader::optional(std::string_view key) {
  seen_.push_back(key);
  const auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

const nlohmann::json& object_reader::required(std::string_view key) {
  const auto* j = optional(key);
  if (j == nullptr) {
    throw_input_error(errc::json_missing_field, fmt::format("{} is required", field_path(key)),
                      field_path(key));
  }
  return *j;
}

std::string object_reader::required_string(std::string_view key) {
  return string_value(required(key), field_path(key), max_string_length_);
}

std::optional<std::string> object_reader::optional_string(std::string_view key) {
  const auto* j = optional(key);
  if (j == nullptr) return std::nullopt;
  return string_value(*j, field_path(key), max_string_length_);
}

date object_reader::required_date(std::string_view key) {
  return date_value(required(key), field_path(key));
}

std::optional<date> object_reader::optional_date(std::string_view key) {
  const auto* j = optional(key);
  if (j == nullptr) return std::nullopt;
  return date_value(*j, field_path(key));
}

namespace {
void check_array(const nlohmann::json& j, const std::string& path, std::size_t max_items) {
  if (!j.is_array()) {
    throw_input_error(errc::json_type, fmt::format("{} must be an array, not {}", path, type_name(j)),
                      path);
  }
  if (j.size() > max_items) {
    throw_input_error(errc::json_too_long,
                      fmt::format("{} has {} items, over the limit of {}", path, j.size(), max_items),
                      path);
  }
}
}  // namespace

const nlohmann::json& object_reader::required_array(std::string_view key, std::size_t max_items) {
  const auto& j = required(key);
  check_array(j, field_path(key), max_items);
  return j;
}

const nlohmann::json* object_reader::optional_array(std::string_view key, std::size_t max_items) {
  const auto* j = optional(key);
  if (j != nullptr) check_array(*j, field_path(key), max_items);
  return j;
}

void object_reader::finish() const {
  for (const auto& [key, value] : j_.items()) {
    if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
      // The key is user input: bound and escape what is echoed back, in the message and
      // in the path.
      const std::string shown = echo(key);
      throw_input_error(errc::json_unknown_field,
                        fmt::format("unknown field `{}` in {}", shown,
                                    where(path_)),
                        field_path(shown));
    }
  }
}

}  // namespace calp::detail
