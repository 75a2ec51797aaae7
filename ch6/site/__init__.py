"""The course site: executed notebooks rendered to HTML, the results dashboard, and a headless browser check."""
