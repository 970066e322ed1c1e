// Portability macros for code shared by the CPU and CUDA builds of the core.
#ifndef TF_DYNEMB_OPS_CORE_PORTABLE_H_
#define TF_DYNEMB_OPS_CORE_PORTABLE_H_

#if defined(__CUDACC__)
#define TFDYNEMB_HD __host__ __device__
#define TFDYNEMB_INLINE __forceinline__
#else
#define TFDYNEMB_HD
#define TFDYNEMB_INLINE inline
#endif

#endif  // TF_DYNEMB_OPS_CORE_PORTABLE_H_
