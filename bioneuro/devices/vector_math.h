// bioneuro_standalone: lets GCC vectorise loops that call exp() or log(), through glibc's vector math
// library (libmvec, e.g. _ZGVeN8v_exp: eight exponentials per call, within 4 ulp).
//
// glibc declares these vector variants only when __FAST_MATH__ is defined. Brian2 compiles with
// -ffast-math -fno-finite-math-only; the second option undefines __FAST_MATH__, so that a state update
// calling exp() (exponential Euler, Hodgkin-Huxley rate functions) stays scalar. The declarations below are
// glibc's own (same functions, same "notinbranch" vector variants), made regardless of that macro: a call
// inside a branch is never replaced, and -ffast-math already allows the compiler these approximations.
#ifndef BIONEURO_VECTOR_MATH_H
#define BIONEURO_VECTOR_MATH_H
#include <math.h>
#if defined(__GNUC__) && !defined(__clang__) && !defined(__INTEL_COMPILER) && defined(__x86_64__) \
    && defined(__GLIBC__) && defined(__GLIBC_PREREQ) && !defined(__FAST_MATH__)
#if __GLIBC_PREREQ(2, 22)
extern "C" {
__attribute__((__simd__("notinbranch"))) double exp(double) throw();
__attribute__((__simd__("notinbranch"))) double log(double) throw();
}
#endif
#endif
#endif
