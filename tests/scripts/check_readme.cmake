# The README's quickstart must be examples/quickstart.cpp, so the snippet people copy
# is one that compiles and runs in every CI build.
file(READ "${QUICKSTART}" quickstart)
file(READ "${README}" readme)
string(FIND "${readme}" "```cpp\n${quickstart}```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "README.md does not contain examples/quickstart.cpp verbatim in a ```cpp block")
endif()
