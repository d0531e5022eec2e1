// The C interfaces of OpenBLAS (cblas.h, with openblas_* extensions) and LAPACKE.
// Nothing is linked: Engine/BLAS loads the libraries at run time. See Package.swift.
#include <cblas.h>
#include <lapacke.h>
