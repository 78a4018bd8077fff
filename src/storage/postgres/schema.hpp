#pragma once
// calp's tables in PostgreSQL, the forward migrations between schema versions, and the
// statements the storage runs. SQL names the schema as `@`, replaced by the quoted,
// validated schema name once per storage: values always travel as parameters.

#include <array>
#include <string>
#include <string_view>

namespace calp::detail::pg {

// `[a-z_][a-z0-9_]{0,62}` and not `pg_…` (reserved by PostgreSQL).
[[nodiscard]] bool valid_schema_name(std::string_view name) noexcept;

// `sql` with every `@` replaced by `"schema"`.
[[nodiscard]] std::string qualify(std::string_view sql, std::string_view schema);

// Migration `n` (1-based) takes a schema from version n - 1 to version n; version 0 is
// an empty schema. `migrations.size()` is the version this calp writes.
extern const std::array<std::string_view, 1> migrations;

enum class stmt : int {
  find_person,
  find_person_by_nir,
  find_person_by_provisional_id,
  find_persons_born_on,
  find_household,
  households_of,
  find_households_of,
  find_account,
  find_account_by_sub,
  find_challenge,
  find_throttle,
  find_session,
  sessions_of,
  audit_events,
  audit_events_subject,
  audit_events_actor,
  audit_events_subject_actor,
  audit_tail,
  insert_person,
  update_person,
  insert_household,
  update_household,
  replace_members,
  lock_keys,
  insert_account,
  update_account,
  replace_emails,
  insert_challenge,
  update_challenge,
  erase_challenge,
  insert_throttle,
  update_throttle,
  insert_session,
  update_session,
  erase_session,
  erase_sessions_of,
  append_audit,
  lock_audit_tail,
  purge_audit,
  other_person_with_nir,
  other_person_with_provisional_id,
  other_account_with_sub,
  lock_households_of,
  shared_emails_of_account,
  shared_email_in_household,
  count_,
};

// The SQL of each statement, `@` standing for the schema.
[[nodiscard]] std::string_view statement_sql(stmt s) noexcept;

}  // namespace calp::detail::pg
