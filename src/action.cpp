#include "calp/action.hpp"

#include <fmt/format.h>

#include <string>

#include "detail/input_text.hpp"

namespace calp {

namespace {

struct action_text {
  std::string_view name;
  std::string_view description;
  std::string_view libelle;
};

// Indexed by the enum value; the names are the stable ones of DESIGN.md §3.
constexpr action_text texts[action_count] = {
    {"own_data.read", "read own personal data", "consulter ses données personnelles"},
    {"own_contact.update", "own contact details", "modifier ses coordonnées de contact"},
    {"own_password.change", "own password", "changer son mot de passe"},
    {"separation.declare", "declare a separation", "déclarer une séparation"},
    {"dossier.read", "the dossier, rights and payments",
     "consulter le dossier, les droits et les paiements"},
    {"changes.declare", "declare changes", "déclarer des changements"},
    {"benefit.request", "request a benefit", "demander une prestation"},
    {"delegation.manage", "grant / revoke the délégation",
     "donner ou retirer la délégation de gestion"},
};

}  // namespace

std::string_view to_string(action a) noexcept { return texts[static_cast<std::size_t>(a)].name; }

std::string_view description(action a) noexcept {
  return texts[static_cast<std::size_t>(a)].description;
}

std::string_view libelle(action a) noexcept { return texts[static_cast<std::size_t>(a)].libelle; }

result<action> parse_action(std::string_view name) {
  for (const action a : all_actions) {
    if (to_string(a) == name) return a;
  }
  std::string expected;
  for (const action a : all_actions) {
    expected += expected.empty() ? "" : ", ";
    expected += to_string(a);
  }
  return fail(errc::action_unknown, fmt::format("unknown action `{}`; expected one of {}",
                                                detail::echo(name), expected));
}

}  // namespace calp
