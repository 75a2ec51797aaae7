"""pytest settings shared by the unit tests and the notebook checks (nbval)."""
import nbval.plugin

from ch6.runner.execute import is_empty

_compare_outputs = nbval.plugin.IPyNbCell.compare_outputs


def _compare_shown_outputs(self, test, ref, skip_compare=None):
    """Compare only outputs that show something: the runner drops blank ones (Keras summaries' empty <pre>)."""
    return _compare_outputs(self, [o for o in test if not is_empty(o)], [o for o in ref if not is_empty(o)],
                            skip_compare)


nbval.plugin.IPyNbCell.compare_outputs = _compare_shown_outputs

