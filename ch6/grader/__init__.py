"""The grader (``make grade``): each student copy runs in a sandbox; marks are judged on the host over plain data.

Security boundary: ``sandbox`` (host side: bwrap, rlimits, kill), ``cgroups``, ``inside`` (runs in the sandbox).
Runs in the student's kernel: the extractor that ``prepare`` injects (built from ``ch6.check._kernel_side``).
Host tooling: ``exercises`` (test cells), ``copies`` (SUBMISSIONS), ``evaluate`` + ``scoring`` (checks on plain data),
``jobs`` (pool, Dask, cache keys, limits), ``gradebook`` (CSV, feedback), ``pipeline`` (``grade_all``), ``cli``;
``student`` and ``release`` write the student versions and the student edition.
"""
