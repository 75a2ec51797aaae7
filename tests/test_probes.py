"""The IMDB probe (``python -m ch6.bench.imdb_probe``): the notebook's three LSTMs, judged per epoch count."""
import json

from ch6.bench import imdb_probe


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
