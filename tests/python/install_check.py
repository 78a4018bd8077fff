"""`pip install --no-build-isolation ./bindings/python` works offline: installs calp into a
fresh target folder, then imports it from there in a clean interpreter, decides one
case and runs a storage conformance case (calp.testing ships too). Run by ctest ("python: pip install"); prints how long the install took.

usage: install_check.py SOURCE_ROOT BUILD_DIR TARGET_DIR

BUILD_DIR is the CMake build folder the install reuses from one run to the next (and
ccache across checkouts), so only the first run compiles the library; TARGET_DIR is
emptied and installed into.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

CHECK = """
import datetime, pathlib, sys, calp
assert pathlib.Path(calp.__file__).parent == pathlib.Path(sys.argv[1]) / "calp", calp.__file__
here = pathlib.Path(calp.__file__).parent
assert (here / "py.typed").exists() and (here / "_core.pyi").exists()
h = calp.Household.from_dict({"dossier": "1234567", "members": [
    {"id": "p1", "role": "allocataire", "birth_date": "1985-03-02"},
    {"id": "p2", "role": "conjoint", "birth_date": "1987-11-20"}]})
d = calp.decide(h, "p2", "dossier.read", datetime.date(2026, 11, 28))
assert not d.allowed and d.reason == "conjoint_without_delegation", d
import calp.testing
first = calp.testing.storage_conformance_cases()[:1]
report = calp.testing.run_storage_conformance(calp.MemoryStorage, calp.MemoryStorage, cases=first)
assert report.ok, report
print("installed calp", calp.__version__, "decides:", d.reason, "and", report)
"""


def main() -> int:
    source_root, build_dir, target = (Path(a).resolve() for a in sys.argv[1:4])
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    env = dict(os.environ, CALP_PYTHON_BUILD_DIR=str(build_dir))
    env.pop("PYTHONPATH", None)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "--target", str(target), str(source_root / "bindings" / "python")],
                   check=True, env=env)
    print(f"pip install took {time.monotonic() - started:.1f} s")
    # -S: no site-packages, so only the installed copy can be imported.
    subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); exec({CHECK!r})",
                    str(target)], check=True, env=env, cwd=target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
