#pragma once
// The audit key and the audit writer as Python sees them (register_audit.cpp), shared
// with register_storage.cpp: the storages take a key, the authorizer takes a writer.

#include <memory>
#include <optional>
#include <utility>

#include "calp/audit_key.hpp"
#include "calp/audit_writer.hpp"
#include "calp/storage.hpp"
#include "common.hpp"

namespace calp::python {

/// `calp.AuditKey`: a shared, immutable key; copying the handle shares the key, which
/// is wiped when the last storage and handle using it are gone.
struct audit_key_handle {
  std::shared_ptr<const calp::audit_key> key;
};

/// `calp.AuditWriter`: the writer and the storage it writes to, kept alive together.
class audit_writer_handle {
 public:
  audit_writer_handle(std::shared_ptr<calp::storage> store, calp::audit_writer_options options)
      : store_(std::move(store)) {
    writer_.emplace(*store_, options);
  }
  // The writer's destructor commits what is waiting and joins its thread, which may
  // call a storage that needs the GIL: never wait for it while holding the GIL.
  ~audit_writer_handle() {
    if (PyGILState_Check() != 0) {
      py::gil_scoped_release nogil;
      writer_.reset();
    } else {
      writer_.reset();
    }
  }
  audit_writer_handle(const audit_writer_handle&) = delete;
  audit_writer_handle& operator=(const audit_writer_handle&) = delete;

  [[nodiscard]] calp::audit_writer& writer() noexcept { return *writer_; }
  [[nodiscard]] calp::storage& store() noexcept { return *store_; }

 private:
  std::shared_ptr<calp::storage> store_;
  std::optional<calp::audit_writer> writer_;
};

/// The key of an optional `audit_key=` argument (None: no chain).
inline std::shared_ptr<const calp::audit_key> key_of(const std::optional<audit_key_handle>& k) {
  return k ? k->key : nullptr;
}

void bind_audit_key(py::module_& m);
void bind_audit(py::module_& m);
void bind_authorizer(py::module_& m);

}  // namespace calp::python
