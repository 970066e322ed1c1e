// Portability macros for code shared by the CPU and CUDA builds of the core.
#ifndef TF_DYNEMB_OPS_CORE_PORTABLE_H_
#define TF_DYNEMB_OPS_CORE_PORTABLE_H_

#if defined(__CUDACC__)
#define TFDYNEMB_HD __host__ __device__
#define TFDYNEMB_INLINE __forceinline__
// Before a host-and-device template that host-only code also instantiates
// (with a host-only argument type, such as a sink writing a std::vector).
#define TFDYNEMB_HD_TEMPLATE _Pragma("nv_exec_check_disable")
#else
#define TFDYNEMB_HD
#define TFDYNEMB_INLINE inline
#define TFDYNEMB_HD_TEMPLATE
#endif

#endif  // TF_DYNEMB_OPS_CORE_PORTABLE_H_
