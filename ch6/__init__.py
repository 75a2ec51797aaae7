"""Support code for the chapter 6 notebooks: data, sample data, parameters, plots and grading."""
import os as _os

# Quiet TensorFlow's C++ start-up logs (set before TensorFlow is imported; a user's own setting wins).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "1.0.0"
