"""dlkit: auto-graded PyTorch exercises (registry, seam, learner messages, runners)."""
