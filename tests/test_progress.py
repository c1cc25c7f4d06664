import pytest

from ganlab.progress import progress_bar


def test_no_bar_under_the_quick_profile_and_a_real_one_when_asked(monkeypatch, capsys):
    monkeypatch.setenv("GANLAB_PROFILE", "quick")
    with progress_bar(3, "training") as bar:
        bar.update(1)
        bar.set_postfix(loss="0.1")
    assert capsys.readouterr().err == ""
    with progress_bar(3, "training", show=True) as bar:
        bar.update(3)
    assert "training" in capsys.readouterr().err


def test_a_bad_profile_is_reported(monkeypatch):
    monkeypatch.setenv("GANLAB_PROFILE", "bogus")
    with pytest.raises(ValueError, match="full, quick"):
        progress_bar(3, "training")
