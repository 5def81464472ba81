# WebAssembly actors built by the project: the examples (into their bundle directories, where
# `mar run examples/...` finds them) and the modules the tests use (into the build directory).
# Debian's clang + lld + wasi-libc compile C for wasm32-wasi; wabt's wat2wasm assembles WAT.
find_program(MAR_WASM_CC NAMES clang clang-14 REQUIRED)
find_program(MAR_WAT2WASM wat2wasm REQUIRED)
set(MAR_WASM_SYSROOT /usr CACHE PATH "wasi-libc sysroot (Debian installs it under /usr)")

set(MAR_WASM_OUTPUTS)
# mar_wasm_c(OUTPUT SOURCE [flags...]): a C module; the actor header is on the include path.
function(mar_wasm_c output source)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${MAR_WASM_CC} --target=wasm32-wasi --sysroot=${MAR_WASM_SYSROOT} -O2 -Wall -Werror
            -I${CMAKE_SOURCE_DIR}/sdk/c ${ARGN} ${source} -o ${output}
    DEPENDS ${source} ${CMAKE_SOURCE_DIR}/sdk/c/mar.h
    COMMENT "Compiling ${source} to WebAssembly"
    VERBATIM)
  set(MAR_WASM_OUTPUTS ${MAR_WASM_OUTPUTS} ${output} PARENT_SCOPE)
endfunction()
function(mar_wasm_wat output source)
  add_custom_command(OUTPUT ${output} COMMAND ${MAR_WAT2WASM} ${source} -o ${output} DEPENDS ${source}
                     COMMENT "Assembling ${source}" VERBATIM)
  set(MAR_WASM_OUTPUTS ${MAR_WASM_OUTPUTS} ${output} PARENT_SCOPE)
endfunction()

# No C library, a fixed 128 KiB memory (initial = maximum: see docs/wasm-abi.md, "Memory").
set(MAR_WASM_BARE -nostdlib -Wl,--no-entry -Wl,--initial-memory=131072 -Wl,--max-memory=131072
    -Wl,-z,stack-size=32768)
set(examples ${CMAKE_SOURCE_DIR}/examples)
mar_wasm_c(${examples}/wasm-counter/counter.wasm ${examples}/wasm-counter/counter.c ${MAR_WASM_BARE})
mar_wasm_c(${examples}/wasm-greeter/greeter.wasm ${examples}/wasm-greeter/greeter.c ${MAR_WASM_BARE})
mar_wasm_wat(${examples}/wasm-echo/echo.wasm ${examples}/wasm-echo/echo.wat)
mar_wasm_wat(${CMAKE_SOURCE_DIR}/bench/wasm/mar/tiny.wasm ${CMAKE_SOURCE_DIR}/bench/wasm/mar/tiny.wat)

# Test modules (tests/e2e/test_wasm.py), and a WASI program on wasi-libc (an ordinary toolchain's output).
set(MAR_TEST_WASM_DIR ${CMAKE_BINARY_DIR}/wasm)
file(MAKE_DIRECTORY ${MAR_TEST_WASM_DIR})
mar_wasm_c(${MAR_TEST_WASM_DIR}/probe.wasm ${CMAKE_SOURCE_DIR}/tests/e2e/wasm/probe.c ${MAR_WASM_BARE})
mar_wasm_wat(${MAR_TEST_WASM_DIR}/grow.wasm ${CMAKE_SOURCE_DIR}/tests/e2e/wasm/grow.wat)
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/e2e/wasm/wasi_probe.c)
  mar_wasm_c(${MAR_TEST_WASM_DIR}/wasi_probe.wasm ${CMAKE_SOURCE_DIR}/tests/e2e/wasm/wasi_probe.c)
endif()
add_custom_target(wasm_modules ALL DEPENDS ${MAR_WASM_OUTPUTS})
