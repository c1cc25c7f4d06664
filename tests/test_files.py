import json

import pytest
import torch

from ganlab.files import atomic_write, save_json, save_torch


def test_save_torch_and_json_round_trip(tmp_path):
    path = save_torch({"w": torch.arange(3)}, tmp_path / "a" / "state.pt")
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.arange(3))
    path = save_json({"error": 0.25}, tmp_path / "result.json")
    assert json.loads(path.read_text()) == {"error": 0.25}


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save_torch({"step": 1}, path)
    good = path.read_bytes()

    def broken_save(obj, f, *args, **kwargs):
        f.write(b"half a checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        save_torch({"step": 2}, path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]


def test_bad_mode():
    with pytest.raises(ValueError, match="mode"), atomic_write("x", "a"):
        pass
