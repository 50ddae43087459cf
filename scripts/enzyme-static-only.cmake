# CMake toolchain file for the Enzyme build inside the diffsl crate (passed as HOST_CMAKE_TOOLCHAIN_FILE, which the
# cmake crate reads; CMake runs it before Enzyme's own CMakeLists). The worker links only EnzymeStatic, but by default
# Enzyme also builds its LLVM and LLD plugins: each compiles all of Enzyme's sources again, so a cold build did the
# work three times (about 45 min on a 2-core AMD EPYC, the last half waiting on CallDerivatives.cpp alone). Enzyme
# refuses a configuration without plugins unless it builds something else, so the one-file Reactant support library
# is built instead (nothing links it).
set(ENZYME_ENABLE_PLUGINS OFF CACHE BOOL "Enzyme's LLVM/LLD/Clang plugins: not used by the worker" FORCE)
set(ENZYME_ENABLE_REACTANT ON CACHE BOOL "a one-file library, so Enzyme accepts a build without plugins" FORCE)
