"""Grading: from a learner's hand-in to a grade an instructor can trust. One module per stage:

``exchange`` (collect) → ``intake`` → nbgrader's autograde with ``restore``, ``judge`` (+ ``agent``),
``sandbox`` (+ ``launcher``, ``cgroups``) → ``autograde`` (many at once, records, log) → ``feedback``.
``authoring`` checks test cells when an assignment is generated.

Threat model. Learner code is hostile. In its own kernel it may rewrite anything: the check helpers
and the modules they use, IPython's machinery (input transformers, events, run_cell, display hooks),
tracing and the frames of its callers; it may print or display anything, leave links, FIFOs and
devices wherever it may write, fork, fill memory and disk, and never return. It may also hand in
links, special files or another learner's files through the exchange. What it can never reach:

- the verdict: test cells run in the grading process, and the kernel only answers with data
  (``judge``, ``agent``); hidden tests and expected values never enter the kernel, and a hidden
  test's verdict never echoes what the learner's code made (``wagamama.check`` with ``hidden``);
- the machine: the kernel sees only /usr, /etc without the account files and the Python it runs on,
  has no network, a cleared environment and no inherited descriptors, runs (as root) under a uid of
  its own, never as the account that owns the gradebook, and writes only into a size-limited tmpfs
  that nobody reads afterwards (``launcher``);
- the other learners: memory and processes are limited for the whole submission (``cgroups``, with
  prlimit per process), time per cell and per notebook (``sandbox``), output of every kind in the
  grader (``judge``); one broken or hostile submission fails alone;
- anything through a link: collect copies only folders and regular files with one link, owned on a hub
  by the learner named (``exchange``); intake refuses anything else in a submission (``intake``); the
  grader writes its records without following links (``autograde``); feedback shows no test code and
  reduces hidden-test cells to their verdict (``feedback``).

Every way of grading uses this: ``wagamama autograde``, plain ``nbgrader autograde`` in a cohort folder
and the formgrader's Autograde button read the cohort's ``nbgrader_config.py``, which selects it.
"""
