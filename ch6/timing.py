"""Epoch timing for the text notebooks: the ``EpochTimer`` callback taught (``#@save``) in 6-2."""
import time

import keras
import numpy as np


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of every epoch (training + validation) in ``self.times``."""

    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def seconds_per_epoch(timer):
    """Median epoch time, leaving out the first epoch (it also builds the graph) when there are others."""
    return float(np.median(timer.times[1:] if len(timer.times) > 1 else timer.times))
