"""The probes (`python -m ch6.bench.imdb_probe`, `python -m ch6.bench.jena_probe`): what they compute and vary."""
import json

from ch6.bench import imdb_probe, jena_probe


def test_imdb_probe_judges_every_epoch_count(tmp_path, capsys):
    out = tmp_path / "probe.json"
    imdb_probe.main(["--samples", "64", "--epochs", "2", "--maxlen", "16", "--threads", "0", "--json", str(out)])
    result = json.loads(out.read_text("utf-8"))
    val = {name: m["val_acc"] for name, m in result["models"].items()}
    assert list(val) == ["reversed", "forward", "bidirectional"]          # the notebook's order
    assert all(len(v) == 2 and all(0.0 <= a <= 1.0 for a in v) for v in val.values())
    expected = [[val["reversed"][k] >= val["forward"][k] - 0.03, val["bidirectional"][k] >= val["forward"][k] - 0.02]
                for k in range(2)]
    assert result["holds"] == expected
    assert "after each epoch count: 1:" in capsys.readouterr().out


def test_dropout_budgets_apply_both_6_3_6_rules_to_every_prefix():
    plain = [0.40, 0.30, 0.28, 0.285, 0.31, 0.33]         # best at epoch 3; 4 epochs end only 1.8 % above it
    dropout = [0.42, 0.32, 0.29, 0.285, 0.284, 0.2845, 0.29, 0.35]
    # plain_overfits needs ≥ 5 plain epochs; the dropout GRU's best 0.284 is within 2 % of 0.28, and its last
    # epoch stays within 2 % of its best up to epoch 6 (epoch 7: 0.29 = 1.021 × 0.284)
    assert jena_probe.dropout_budgets(plain, dropout) == [(5, 5), (5, 6), (6, 6)]
    assert jena_probe.dropout_budgets(plain, [x * 1.1 for x in dropout]) == []   # 10 % behind the plain GRU
