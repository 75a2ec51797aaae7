"""The grader: student edition, sandbox (the security boundary), scoring, gradebook and command line."""
