"""Training curves drawn the way the lecture draws them (training dots, validation line)."""
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.ticker import MaxNLocator

#: CJK fonts tried, in order, so Chinese titles and labels render (Debian: fonts-noto-cjk).
CJK_FONTS = ("Noto Sans CJK TC", "Noto Sans TC", "Microsoft JhengHei", "PingFang TC", "Noto Sans CJK JP")


def use_cjk_font() -> str | None:
    """Add the first installed CJK font as a fallback after DejaVu Sans; return its name (None if none)."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            plt.rcParams["font.family"] = ["DejaVu Sans", name]
            return name
    return None


use_cjk_font()


def plot_history(history, metric=None, baseline=None, title=""):
    """Plot loss (and ``metric`` if given) for training vs validation; ``baseline`` draws a dashed line."""
    hist = history.history if hasattr(history, "history") else history
    names = ["loss"] + ([metric] if metric else [])
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        epochs = range(1, len(hist[name]) + 1)
        ax.plot(epochs, hist[name], "bo", label=f"Training {name}")
        if f"val_{name}" in hist:
            ax.plot(epochs, hist[f"val_{name}"], "b", label=f"Validation {name}")
        if baseline is not None and name == "loss":
            ax.axhline(baseline, color="gray", linestyle="--", label=f"naive baseline ({baseline:.3f})")
        ax.set_title(f"{title} {name}".strip())
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
    fig.tight_layout()
    plt.show()
