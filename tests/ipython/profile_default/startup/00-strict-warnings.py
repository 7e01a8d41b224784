"""Notebook kernels under test (scripts/test.sh sets IPYTHONDIR to a copy of tests/ipython).

A DeprecationWarning or FutureWarning about a call in a notebook cell (module ``__main__``) or in
the project's own packages becomes an error, so nbval fails on the cell that makes the call.
IPython shows DeprecationWarnings of ``__main__`` by default; this filter, added after that one,
takes precedence. Warnings about libraries' own internals are left as they are.
"""

import warnings

for _category in (DeprecationWarning, FutureWarning, PendingDeprecationWarning):
    warnings.filterwarnings(
        "error", category=_category, module=r"(__main__|helpers|sandbox|benchmarks)(\.|$)"
    )
del _category
