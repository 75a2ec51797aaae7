"""Fixture notebooks and adversarial submissions for tests/test_grading.py."""
