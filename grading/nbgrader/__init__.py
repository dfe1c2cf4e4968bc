"""The kit inside nbgrader (instructors): assignment grouping, the gradebook writer, the
course generator and the grade cell its notebooks run."""
