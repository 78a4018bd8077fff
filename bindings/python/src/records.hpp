#pragma once
// The storage records and the write batch (register_records.cpp).

#include "common.hpp"

namespace calp::python {

void bind_records(py::module_& m);

}  // namespace calp::python
