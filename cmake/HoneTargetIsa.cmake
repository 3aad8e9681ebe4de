# HONE_TARGET_ISA: the CPU features this build needs, derived from what the
# compiler predefines under the variant's ISA flags (so a -march=native build
# lists what native enables), named as cpu_features names them (the names
# `hone info` prints for the running CPU). The ISA guard checks them.

# "MACRO name" pairs per architecture (macro defined => feature needed).
set(_hone_isa_map_x86_64
  __SSE3__ sse3  __SSSE3__ ssse3  __SSE4_1__ sse4_1  __SSE4_2__ sse4_2
  __SSE4A__ sse4a  __POPCNT__ popcnt  __AVX__ avx  __AVX2__ avx2  __FMA__ fma3
  __FMA4__ fma4  __F16C__ f16c  __BMI__ bmi1  __BMI2__ bmi2  __MOVBE__ movbe
  __AES__ aes  __PCLMUL__ pclmulqdq  __VAES__ vaes  __VPCLMULQDQ__ vpclmulqdq
  __ADX__ adx  __RDRND__ rdrnd  __RDSEED__ rdseed  __SHA__ sha
  __CLFLUSHOPT__ clflushopt  __CLWB__ clwb
  __AVX512F__ avx512f  __AVX512CD__ avx512cd  __AVX512BW__ avx512bw
  __AVX512DQ__ avx512dq  __AVX512VL__ avx512vl  __AVX512IFMA__ avx512ifma
  __AVX512VBMI__ avx512vbmi  __AVX512VBMI2__ avx512vbmi2
  __AVX512VNNI__ avx512vnni  __AVX512BITALG__ avx512bitalg
  __AVX512VPOPCNTDQ__ avx512vpopcntdq  __AVX512BF16__ avx512_bf16
  __AVX512VP2INTERSECT__ avx512_vp2intersect
  __AMX_TILE__ amx_tile  __AMX_INT8__ amx_int8  __AMX_BF16__ amx_bf16)
set(_hone_isa_map_aarch64
  __ARM_NEON asimd  __ARM_FEATURE_CRC32 crc32  __ARM_FEATURE_ATOMICS atomics
  __ARM_FEATURE_QRDMX asimdrdm  __ARM_FEATURE_FP16_SCALAR_ARITHMETIC fphp
  __ARM_FEATURE_FP16_VECTOR_ARITHMETIC asimdhp  __ARM_FEATURE_DOTPROD asimddp
  __ARM_FEATURE_FP16_FML asimdfhm  __ARM_FEATURE_MATMUL_INT8 i8mm
  __ARM_FEATURE_BF16_VECTOR_ARITHMETIC bf16  __ARM_FEATURE_SVE sve
  __ARM_FEATURE_SVE2 sve2)
set(_hone_isa_map_ppc64le
  __ALTIVEC__ altivec  __VSX__ vsx  _ARCH_PWR8 arch207  _ARCH_PWR9 arch300
  __FLOAT128_HARDWARE__ ieee128  _ARCH_PWR10 arch31  __MMA__ mma)

function(hone_detect_target_isa out_var)
  execute_process(
    COMMAND ${CMAKE_C_COMPILER} ${HONE_ISA_FLAGS} -dM -E -x c -
    INPUT_FILE /dev/null
    OUTPUT_VARIABLE macros ERROR_VARIABLE errs RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot list ${CMAKE_C_COMPILER}'s predefined macros for '${HONE_ISA_FLAGS}': ${errs}")
  endif()
  set(map ${_hone_isa_map_${HONE_ARCH}})
  set(isa "")
  list(LENGTH map n)
  if(n GREATER 0)
    math(EXPR last "${n} - 1")
    foreach(i RANGE 0 ${last} 2)
      math(EXPR j "${i} + 1")
      list(GET map ${i} macro)
      list(GET map ${j} name)
      if(macros MATCHES "#define ${macro} ")
        list(APPEND isa ${name})
      endif()
    endforeach()
  endif()
  set(${out_var} "${isa}" PARENT_SCOPE)
endfunction()
