#include "calp/policy.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <optional>

#include "detail/input_text.hpp"
#include "detail/json_input.hpp"

namespace calp {

namespace detail {
extern const std::string_view caf_default_policy_json;
}

std::string_view to_string(subject s) noexcept {
  switch (s) {
    case subject::allocataire: return "allocataire";
    case subject::conjoint: return "conjoint";
    case subject::conjoint_delegation: return "conjoint_delegation";
    case subject::conjoint_allocataire: return "conjoint_allocataire";
    case subject::other: return "other";
  }
  return "other";
}

namespace {

constexpr std::string_view policy_format = "calp.policy.v1";
constexpr std::size_t max_code_length = 64;
constexpr subject all_subjects[subject_count] = {subject::allocataire, subject::conjoint,
                                                 subject::conjoint_delegation,
                                                 subject::conjoint_allocataire, subject::other};
constexpr std::string_view engine_reasons[] = {reasons::not_allowed, reasons::under_15,
                                               reasons::not_member, reasons::agent_required};

// One cell of the role table as written in the document.
struct cell {
  bool allow = false;
  bool only_in_couple = false;
  std::uint16_t reason = 0;
  std::uint16_t otherwise = 0;
};

using detail::throw_input_error;

bool is_code_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

bool is_code(std::string_view s) {
  return !s.empty() && s.size() <= max_code_length && std::all_of(s.begin(), s.end(), is_code_char);
}

bool is_policy_id(std::string_view s) {
  return !s.empty() && s.size() <= max_code_length &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_code_char(c) || c == '-'; });
}

}  // namespace

// Reads, validates and compiles a policy document. Everything is built in a local
// policy that is returned only when the whole document passed.
class policy_compiler {
 public:
  static policy compile(const nlohmann::json& doc) {
    policy p;
    policy_compiler c{p};
    detail::object_reader root(doc, "", policy::max_message_length);
    const auto format = root.required_string("format");
    if (format != policy_format) {
      throw_input_error(errc::policy_invalid,
                        fmt::format("format must be `{}`", policy_format), "format");
    }
    p.id_ = root.required_string("id");
    if (!is_policy_id(p.id_)) {
      throw_input_error(errc::policy_invalid,
                        "id must be 1 to 64 characters among a-z, 0-9, `_` and `-`", "id");
    }
    (void)root.optional_string("description");
    c.read_reasons(root.required("reasons"));
    c.read_rules(root.required("rules"));
    root.finish();
    c.compile_table();
    return p;
  }

 private:
  explicit policy_compiler(policy& p) : p_(p) {}

  void read_reasons(const nlohmann::json& j) {
    detail::object_reader reader(j, "reasons", policy::max_message_length);
    if (j.size() > policy::max_reasons) {
      throw_input_error(errc::json_too_long,
                        fmt::format("reasons has {} entries, over the limit of {}", j.size(),
                                    policy::max_reasons),
                        "reasons");
    }
    for (const auto& [code, message] : j.items()) {
      const auto path = reader.field_path(detail::echo(code));
      if (!is_code(code)) {
        throw_input_error(errc::policy_invalid,
                          fmt::format("{}: a reason code is 1 to 64 characters among a-z, 0-9 and `_`", path),
                          path);
      }
      auto text = reader.required_string(code);
      if (text.empty()) {
        throw_input_error(errc::policy_invalid, fmt::format("{} must not be empty", path), path);
      }
      p_.reasons_.push_back({code, std::move(text)});
    }
    reader.finish();
    for (const auto engine : engine_reasons) {
      if (!find_reason(engine)) {
        throw_input_error(errc::policy_invalid,
                          fmt::format("reasons.{} is required: the engine gives it itself", engine),
                          detail::child_path("reasons", engine));
      }
    }
    p_.under_15_ = *find_reason(reasons::under_15);
    p_.not_member_ = *find_reason(reasons::not_member);
    p_.agent_required_ = *find_reason(reasons::agent_required);
    p_.not_allowed_ = *find_reason(reasons::not_allowed);
  }

  std::optional<std::uint16_t> find_reason(std::string_view code) const {
    for (std::size_t i = 0; i < p_.reasons_.size(); ++i) {
      if (p_.reasons_[i].code == code) return static_cast<std::uint16_t>(i);
    }
    return std::nullopt;
  }

  std::uint16_t reason_ref(detail::object_reader& reader, std::string_view key) {
    const auto code = reader.required_string(key);
    const auto index = find_reason(code);
    if (!index) {
      throw_input_error(errc::policy_invalid,
                        fmt::format("{}: reason `{}` is not defined in reasons",
                                    reader.field_path(key), detail::echo(code)),
                        reader.field_path(key));
    }
    return *index;
  }

  void read_rules(const nlohmann::json& j) {
    detail::object_reader rules(j, "rules", policy::max_message_length);
    for (const auto& [name, by_subject] : j.items()) {
      // Keys are user input: the path quotes them bounded and escaped.
      const auto path = rules.field_path(detail::echo(name));
      const auto a = parse_action(name);
      if (!a) throw_input_error(errc::action_unknown, fmt::format("{}: {}", path, a.error().message), path);
      detail::object_reader subjects(by_subject, path, policy::max_message_length);
      for (const auto& item : by_subject.items()) {
        const std::string& subject_name = item.key();
        const auto subject_path = subjects.field_path(detail::echo(subject_name));
        const auto s = std::find_if(std::begin(all_subjects), std::end(all_subjects),
                                    [&](subject x) { return to_string(x) == subject_name; });
        if (s == std::end(all_subjects)) {
          throw_input_error(errc::policy_invalid,
                            fmt::format("{}: unknown subject; expected allocataire, conjoint, "
                                        "conjoint_delegation, conjoint_allocataire or other",
                                        subject_path),
                            subject_path);
        }
        cells_[static_cast<std::size_t>(*a)][static_cast<std::size_t>(*s)] =
            read_cell(item.value(), subject_path);
      }
    }
  }

  cell read_cell(const nlohmann::json& j, const std::string& path) {
    detail::object_reader reader(j, path, policy::max_message_length);
    cell c;
    const auto effect = reader.required_string("effect");
    if (effect != "allow" && effect != "deny") {
      throw_input_error(errc::policy_invalid,
                        fmt::format("{} must be `allow` or `deny`", reader.field_path("effect")),
                        reader.field_path("effect"));
    }
    c.allow = effect == "allow";
    c.reason = reason_ref(reader, "reason");
    if (const auto when = reader.optional_string("when")) {
      if (*when != "in_couple") {
        throw_input_error(errc::policy_invalid,
                          fmt::format("{}: the only condition is `in_couple`", reader.field_path("when")),
                          reader.field_path("when"));
      }
      if (!c.allow) {
        throw_input_error(errc::policy_invalid,
                          fmt::format("{}: a condition only applies to `allow`", reader.field_path("when")),
                          reader.field_path("when"));
      }
      c.only_in_couple = true;
      if (reader.optional("otherwise") == nullptr) {
        throw_input_error(errc::policy_invalid,
                          fmt::format("{} is required with `when`: the reason to deny otherwise",
                                      reader.field_path("otherwise")),
                          reader.field_path("otherwise"));
      }
      c.otherwise = reason_ref(reader, "otherwise");
    } else if (reader.optional("otherwise") != nullptr) {
      throw_input_error(errc::policy_invalid,
                        fmt::format("{} only goes with `when`", reader.field_path("otherwise")),
                        reader.field_path("otherwise"));
    }
    reader.finish();
    return c;
  }

  // The cells that apply to a standing, most specific first (see policy.hpp).
  static std::size_t applicable(const standing& s, subject (&out)[3]) {
    std::size_t n = 0;
    switch (s.role) {
      case household_role::allocataire: out[n++] = subject::allocataire; break;
      case household_role::other: out[n++] = subject::other; break;
      case household_role::conjoint_allocataire:
        out[n++] = subject::conjoint_allocataire;
        [[fallthrough]];
      case household_role::conjoint:
        if (s.has_delegation) out[n++] = subject::conjoint_delegation;
        out[n++] = subject::conjoint;
        break;
      case household_role::under_15:
      case household_role::not_member: break;
    }
    return n;
  }

  policy::outcome decide_slot(action a, const standing& s) const {
    if (s.role == household_role::not_member) return {false, p_.not_member_};
    if (s.role == household_role::under_15) return {false, p_.under_15_};
    subject subjects[3];
    const auto n = applicable(s, subjects);
    std::optional<policy::outcome> first_denial;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& c = cells_[static_cast<std::size_t>(a)][static_cast<std::size_t>(subjects[i])];
      if (!c) continue;
      if (c->allow && (!c->only_in_couple || s.in_couple)) return {true, c->reason};
      if (!first_denial) first_denial = policy::outcome{false, c->allow ? c->otherwise : c->reason};
    }
    return first_denial.value_or(policy::outcome{false, p_.not_allowed_});
  }

  void compile_table() {
    for (const action a : all_actions) {
      for (std::size_t r = 0; r < household_role_count; ++r) {
        for (const bool delegation : {false, true}) {
          for (const bool couple : {false, true}) {
            const standing s{static_cast<household_role>(r), delegation, couple};
            p_.table_[policy::slot(a, s)] = decide_slot(a, s);
          }
        }
      }
    }
  }

  policy& p_;
  std::optional<cell> cells_[action_count][subject_count];
};

result<policy> policy::from_json(std::string_view json) {
  auto doc = detail::parse_json(json, {max_bytes, 6, max_message_length});
  if (!doc) return unexpected<calp::error>(std::move(doc).error());
  return detail::read_document([&] { return policy_compiler::compile(*doc); });
}

const policy& policy::caf_default() {
  // The embedded document is checked by the tests; failing here is a build defect.
  static const policy instance = policy::from_json(detail::caf_default_policy_json).value();
  return instance;
}

std::string_view policy::caf_default_json() noexcept { return detail::caf_default_policy_json; }

policy::outcome policy::engine_outcome(std::string_view engine_reason) const noexcept {
  if (engine_reason == reasons::agent_required) return {false, agent_required_};
  if (engine_reason == reasons::not_member) return {false, not_member_};
  if (engine_reason == reasons::under_15) return {false, under_15_};
  return {false, not_allowed_};
}

std::string policy::table() const {
  const auto render = [](bool in_couple, bool alone) -> std::string_view {
    if (in_couple && alone) return "yes";
    if (in_couple) return "yes, if in a couple";
    if (alone) return "yes, if not in a couple";
    return "no";
  };
  const auto cell_text = [&](action a, household_role role, bool delegation) {
    return render(evaluate(a, {role, delegation, true}).allowed,
                  evaluate(a, {role, delegation, false}).allowed);
  };
  // A conjoint is a member only while the couple exists: a conjoint's column has no
  // one-person reading.
  const auto conjoint_text = [&](action a, household_role role, bool delegation) {
    return evaluate(a, {role, delegation, true}).allowed ? std::string_view("yes")
                                                         : std::string_view("no");
  };
  std::string out =
      "| action (stable name) | allocataire | conjoint | conjoint + délégation | conjoint "
      "allocataire (AJPA, BAFA, AAH, PALA) | other 15+ |\n"
      "|---|---|---|---|---|---|\n";
  for (const action a : all_actions) {
    out += fmt::format("| `{}` {} | {} | {} | {} | {} | {} |\n", to_string(a), description(a),
                       cell_text(a, household_role::allocataire, false),
                       conjoint_text(a, household_role::conjoint, false),
                       conjoint_text(a, household_role::conjoint, true),
                       conjoint_text(a, household_role::conjoint_allocataire, false),
                       cell_text(a, household_role::other, false));
  }
  return out;
}

}  // namespace calp
