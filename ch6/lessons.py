"""The lecture's lessons (SPEC §3a): each notebook judges its own with these rules and records the evidence."""
import math

#: id -> (the lecture's claim in Traditional Chinese, evidence names, the rule that says it holds)
LESSONS = {
    "6-1-2/embedding_learns": ("只讀 20 個字，嵌入模型就有約 75% 的準確率", ("acc_20",),
                               lambda e: e["acc_20"] >= 0.70),
    "6-1-2/more_text_helps": ("讀更多評論內容會更準", ("acc_20", "acc_500"),
                              lambda e: e["acc_500"] >= e["acc_20"] + 0.03),
    "6-1-3/glove_helps_small_data": (
        "只有 200 個訓練樣本時，預訓練的 GloVe 勝過從頭學習",
        ("glove_test_mean", "scratch_test_mean", "seeds", "glove_wins"),
        lambda e: (e["seeds"] >= 5 and e["glove_test_mean"] >= e["scratch_test_mean"] + 0.03
                   and e["glove_wins"] >= 0.8 * e["seeds"])),
    "6-2/lstm_beats_simplernn": ("在 IMDB 上 LSTM 勝過 SimpleRNN", ("simplernn_val", "lstm_val"),
                                 lambda e: e["lstm_val"] >= e["simplernn_val"] + 0.03),
    "6-3-8/reversed_lstm_close": ("文字反過來讀，準確率和正向差不多", ("forward_val", "reversed_val"),
                                  lambda e: e["reversed_val"] >= e["forward_val"] - 0.03),
    "6-3-8/bidirectional_lstm_close": ("雙向 LSTM 和正向 LSTM 差不多", ("forward_val", "bidirectional_val"),
                                       lambda e: e["bidirectional_val"] >= e["forward_val"] - 0.02),
    "6-4-3/conv1d_learns": ("Conv1D 在 IMDB 上可達約 0.83", ("conv_val",), lambda e: e["conv_val"] >= 0.80),
    "6-4-3/conv1d_faster": ("Conv1D 訓練得比 RNN 快", ("conv_epoch_s", "lstm_epoch_s", "gpu"),
                            lambda e: e["conv_epoch_s"] < e["lstm_epoch_s"]),
    "6-3-1/dense_not_better": ("全連接模型沒有勝過常識性基準", ("naive_val", "dense_best_val"),
                               lambda e: e["dense_best_val"] >= 0.98 * e["naive_val"]),
    "6-3-5/gru_beats_naive": ("GRU 勝過常識性基準", ("naive_val", "gru_best_val"),
                              lambda e: e["gru_best_val"] <= 0.95 * e["naive_val"]),
    "6-3-6/plain_overfits": ("沒有 dropout 的 GRU 會過度配適 (overfitting)",
                             ("plain_best_val", "plain_last_val", "plain_best_epoch", "plain_epochs"),
                             lambda e: (e["plain_best_epoch"] < e["plain_epochs"]
                                        and e["plain_last_val"] >= 1.03 * e["plain_best_val"])),
    "6-3-6/dropout_curbs_overfitting": ("加上 dropout 就不再過度配適，而且至少一樣好",
                                        ("dropout_best_val", "dropout_last_val", "plain_best_val"),
                                        lambda e: (e["dropout_last_val"] <= 1.02 * e["dropout_best_val"]
                                                   and e["dropout_best_val"] <= 1.02 * e["plain_best_val"])),
    "6-3-7/stacked_helps_a_little": ("堆疊 GRU 至少一樣好，小幅進步", ("naive_val", "single_best_val", "stacked_best_val"),
                                     lambda e: (e["stacked_best_val"] <= 0.95 * e["naive_val"]
                                                and e["stacked_best_val"] <= 1.03 * e["single_best_val"])),
    "6-3-8/reversed_gru_worse": ("天氣資料反過來讀會差很多", ("naive_val", "forward_val", "reversed_val"),
                                 lambda e: (e["reversed_val"] >= 1.15 * e["forward_val"]
                                            and e["reversed_val"] >= e["naive_val"])),
    "6-3-8/bigru_close": ("雙向 GRU 和 GRU 差不多", ("forward_val", "bi_val"),
                          lambda e: e["bi_val"] <= 1.02 * e["forward_val"]),
    "6-4-4/conv_worse_than_naive": ("只用 Conv1D 比常識性基準差", ("naive_val", "conv_best_val"),
                                    lambda e: e["conv_best_val"] >= 1.10 * e["naive_val"]),
    "6-4-4/cnn_gru_beats_naive": ("CNN + GRU 勝過常識性基準", ("naive_val", "cnn_gru_best_val"),
                                  lambda e: e["cnn_gru_best_val"] <= 0.97 * e["naive_val"]),
    "6-4-4/cnn_gru_faster": ("CNN + GRU 訓練得比 GRU 快", ("cnn_gru_epoch_s", "gru_epoch_s"),
                             lambda e: e["cnn_gru_epoch_s"] < e["gru_epoch_s"]),
}

#: Lessons required only on a GPU; on a CPU the notebook shows the figures and explains them.
GPU_ONLY = {"6-4-3/conv1d_faster"}


def judge(lesson_id: str, **evidence) -> dict:
    """Judge one lesson from this run's figures: {"id", "claim", "holds", "evidence"} (the results record's form)."""
    claim, names, rule = LESSONS[lesson_id]
    if set(evidence) != set(names):
        raise ValueError(f"{lesson_id}: evidence must be {', '.join(names)}; got {', '.join(sorted(evidence))}")
    values = {name: float(evidence[name]) for name in names}
    if not all(math.isfinite(v) for v in values.values()):
        raise ValueError(f"{lesson_id}: evidence must be finite numbers, got {values}")
    shown = {name: (int(v) if float(v).is_integer() and isinstance(evidence[name], (int, bool)) else v)
             for name, v in values.items()}
    return {"id": lesson_id, "claim": claim, "holds": bool(rule(values)), "evidence": shown}


def required(lesson: dict) -> bool:
    """Whether a recorded lesson counts toward "lessons holding" (GPU-only ones count only on a GPU)."""
    return lesson["id"] not in GPU_ONLY or bool(lesson["evidence"].get("gpu"))


def tally(lessons: list) -> tuple:
    """(holding, counted) over recorded lessons, leaving out the GPU-only ones measured on a CPU."""
    counted = [les for les in lessons if required(les)]
    return sum(1 for les in counted if les["holds"]), len(counted)
