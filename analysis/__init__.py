"""Customer segments report: from a customer table to a segment website and PDF."""
import os
import sys

__version__ = "0.1.0"

# NumPy asks Linux for huge pages for each large array. Where the kernel's huge-page defrag setting
# is "madvise" (Debian's default), a machine whose memory is fragmented then compacts memory on
# the page faults themselves (numpy/numpy#31590): the rules stage on 20M order lines spent 11 of its
# 24 s in the kernel. Off unless the user says otherwise (NUMPY_MADVISE_HUGEPAGE=1).
if "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
    os.environ["NUMPY_MADVISE_HUGEPAGE"] = "0"
    _numpy = sys.modules.get("numpy")
    if _numpy is not None:  # imported before this package: the variable is read at NumPy's import only
        (getattr(_numpy, "_core", None) or _numpy.core).multiarray._set_madvise_hugepage(False)  # NumPy 2, 1
