"""Execute the notebooks with a parameter profile (papermill) and write them back only on success."""
