"""pytest settings shared by the unit tests and the notebook checks (nbval)."""


def pytest_collectstart(collector):
    """nbval: compare text outputs only; HTML renderings (e.g. Keras summaries' blank <pre>) are not the lesson."""
    if getattr(collector, "path", None) is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("text/html",)
