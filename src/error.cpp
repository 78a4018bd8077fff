#include "calp/error.hpp"

namespace calp {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::nir_length: return "calp.nir.length";
    case errc::nir_character: return "calp.nir.character";
    case errc::nir_sex: return "calp.nir.sex";
    case errc::nir_month: return "calp.nir.month";
    case errc::nir_department: return "calp.nir.department";
    case errc::nir_order: return "calp.nir.order";
    case errc::nir_key: return "calp.nir.key";
    case errc::provisional_id_format: return "calp.provisional_id.format";
    case errc::dossier_number_format: return "calp.dossier_number.format";
    case errc::person_id_format: return "calp.person_id.format";
    case errc::date_format: return "calp.date.format";
    case errc::json_too_large: return "calp.json.too_large";
    case errc::json_too_deep: return "calp.json.too_deep";
    case errc::json_syntax: return "calp.json.syntax";
    case errc::json_type: return "calp.json.type";
    case errc::json_missing_field: return "calp.json.missing_field";
    case errc::json_unknown_field: return "calp.json.unknown_field";
    case errc::json_too_long: return "calp.json.too_long";
    case errc::household_role: return "calp.household.role";
    case errc::household_duplicate_id: return "calp.household.duplicate_id";
    case errc::household_allocataire: return "calp.household.allocataire";
    case errc::household_conjoint: return "calp.household.conjoint";
    case errc::household_delegation: return "calp.household.delegation";
    case errc::household_date_order: return "calp.household.date_order";
    case errc::household_benefit_code: return "calp.household.benefit_code";
    case errc::action_unknown: return "calp.action.unknown";
    case errc::channel_unknown: return "calp.channel.unknown";
    case errc::policy_invalid: return "calp.policy.invalid";
    case errc::request_invalid: return "calp.request.invalid";
    case errc::storage_conflict: return "calp.storage.conflict";
    case errc::storage_duplicate: return "calp.storage.duplicate";
    case errc::storage_invalid: return "calp.storage.invalid";
    case errc::storage_location: return "calp.storage.location";
    case errc::storage_unavailable: return "calp.storage.unavailable";
    case errc::storage_corrupt: return "calp.storage.corrupt";
    case errc::storage_schema: return "calp.storage.schema";
    case errc::storage_failure: return "calp.storage.failure";
    case errc::code_limit: return "calp.code.limit";
    case errc::code_key: return "calp.code.key";
    case errc::audit_key: return "calp.audit.key";
    case errc::audit_invalid: return "calp.audit.invalid";
    case errc::contact_mobile: return "calp.contact.mobile";
    case errc::contact_email: return "calp.contact.email";
    case errc::account_unknown: return "calp.account.unknown";
    case errc::account_state: return "calp.account.state";
    case errc::civil_status_name: return "calp.civil_status.name";
    case errc::civil_status_date: return "calp.civil_status.date";
    case errc::civil_status_birth_place: return "calp.civil_status.birth_place";
    case errc::civil_status_parents: return "calp.civil_status.parents";
    case errc::civil_status_postal_code: return "calp.civil_status.postal_code";
  }
  return "calp.unknown";
}

namespace {
std::string describe(const error& e) {
  std::string what(to_string(e.code));
  what += ": ";
  what += e.message;
  return what;
}
}  // namespace

bad_result_access::bad_result_access(calp::error e)
    : std::runtime_error(describe(e)), error_(std::move(e)) {}

}  // namespace calp
