"""Builders of files shaped like Moodle's: "Download all submissions" ZIPs and grading worksheets."""
