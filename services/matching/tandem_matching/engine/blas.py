"""Keep BLAS single-threaded inside the scoring loop.

The scorer runs small matrix products from up to two Python threads. If OpenBLAS also starts its
own threads for each product, the cores are oversubscribed and, on a busy machine, its spinning
threads make products 10-20x slower. OpenBLAS >= 0.3.27 (the build numpy wheels ship) has
openblas_set_num_threads_local, which changes the count for the CALLING thread only, so nothing
else in the process is affected. With any other BLAS this is a no-op.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


def _find_setter():
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "*openblas*.so*"))):
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        fn.restype = ctypes.c_int
        return fn
    return None


_SET_LOCAL = _find_setter()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    if _SET_LOCAL is None:
        yield
        return
    previous = _SET_LOCAL(1)
    try:
        yield
    finally:
        _SET_LOCAL(previous)
