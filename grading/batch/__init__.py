"""The batch grader (instructors): a class of submissions graded in sandboxes.

- :mod:`.driver`: ``dlkit grade`` from submissions to ``OUT/`` (resume, progress, summary);
- :mod:`.selfcheck`: a reference and a stub copy graded first, through the same sandboxes;
- :mod:`.pool`: the warm parent, the test suites it loads, the forked sandboxes running jobs;
- :mod:`.sandbox`: namespaces, mounts, uid drop, cgroups and rlimits of one sandbox;
- :mod:`.submissions`: a class folder (sub-folders or zips) read into files;
- :mod:`.outputs`: the per-student records, ``grades.csv`` and the feedback files;
- :mod:`.static_flags`: constructs to review in a submission's source (rules, name
  resolution, the scan), raised without importing it;
- :mod:`.cluster`: the same jobs on a Dask cluster; :mod:`.forkrun`: the kit's own rewrites
  (meta-tests) graded through the same fork server.

Other wings read the records through :mod:`.outputs` and :mod:`.submissions` only.
"""
