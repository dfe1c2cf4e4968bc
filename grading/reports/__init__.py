"""Reports on a graded class (instructors): statistics, similarity, Moodle and Gradescope
exports. They read the batch grader's records (:mod:`grading.batch.outputs`)."""
