"""The kit's authors' tools: stub generation, the student release and its leak scan, the
meta-tests (planted bugs in :mod:`.mutants`, correct variants) and the benchmarks."""
