"""Builds the extension calp._core with the project's own CMake (the repository root is two
levels up), so that pip installs the very module the build tree tests.

Environment, all optional:
  CALP_PYTHON_BUILD_DIR   CMake build folder to use and keep (default: inside setuptools'
                          build_temp); a kept folder makes the next install incremental
  CALP_PYTHON_BUILD_TYPE  CMAKE_BUILD_TYPE (default Release)
  CALP_PYTHON_CMAKE_ARGS  more arguments for the CMake configure step (shell-quoted)
  CMAKE_BUILD_PARALLEL_LEVEL  compile jobs (default 2)
ccache is used when installed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
SOURCE_ROOT = HERE.parent.parent


def calp_version() -> str:
    text = (SOURCE_ROOT / "include" / "calp" / "version.hpp").read_text(encoding="utf-8")
    found = re.search(r'version_string = "([^"]+)"', text)
    if found is None:
        raise RuntimeError("no version_string in include/calp/version.hpp")
    return found.group(1)


class CMakeBuild(build_ext):
    """Configures the repository with only the Python module on, builds it, and puts the
    extension where setuptools packs it."""

    def build_extension(self, ext: Extension) -> None:
        package_dir = Path(self.get_ext_fullpath(ext.name)).resolve().parent
        build_dir = Path(os.environ.get("CALP_PYTHON_BUILD_DIR") or Path(self.build_temp) / "cmake").resolve()
        configure = [
            "cmake", "-S", str(SOURCE_ROOT), "-B", str(build_dir),
            f"-DCMAKE_BUILD_TYPE={os.environ.get('CALP_PYTHON_BUILD_TYPE', 'Release')}",
            "-DCALP_BUILD_PYTHON=ON", "-DCALP_BUILD_TESTS=OFF", "-DCALP_BUILD_EXAMPLES=OFF",
            "-DCALP_BUILD_TOOLS=OFF", "-DCALP_INSTALL=OFF",
            f"-DPython_EXECUTABLE={sys.executable}",
            f"-DCALP_PYTHON_PACKAGE_DIR={package_dir}",
        ]
        if shutil.which("ccache"):
            configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
        configure += shlex.split(os.environ.get("CALP_PYTHON_CMAKE_ARGS", ""))
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "calp_python", "-j", jobs], check=True)


setup(
    version=calp_version(),
    packages=["calp"],
    package_data={"calp": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("calp._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
