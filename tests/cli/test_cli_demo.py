"""``make demo`` (cli.demo): runs, agrees with the interpreter, writes the lens page."""
from __future__ import annotations

import io

from cli import demo


def test_demo_runs_and_writes_the_lens_report(tmp_path):
    out = io.StringIO()
    status = demo.main(out=out, out_dir=tmp_path / "demo_out")
    text = out.getvalue()
    assert status == 0, text
    assert "DIFFERENT" not in text
    assert "program" in text and "params" in text and "Next" in text
    assert "programs/README.md" in text and "raspc verify programs/" in text and "raspc lens programs/" in text
    present = [name for name in demo.PROGRAMS if (demo.ROOT / "programs" / f"{name}.rasp").exists()]
    for name in present:
        assert f"{name} " in text and "match" in text
    for name, sentences, _ in demo.LANGUAGE_PROGRAMS:
        if (demo.ROOT / "programs" / f"{name}.rasp").exists():
            assert all(repr(sentence) in text for sentence in sentences)
    assert "DIFFERENT" not in text
    if (demo.ROOT / "programs" / "nlp" / "grammaticality.rasp").exists():
        # judged by hand: a plural subject with "is"; a wh-word moved out of a wh-clause
        assert "acceptable 0, rule agreement" in text and "acceptable 0, rule island" in text
    if "reverse" in present:
        report = tmp_path / "demo_out" / "lens_reverse.html"
        assert f"open {report}" in text
        page = report.read_text()
        assert "<svg" in page and "reverse" in page


def test_demo_skips_a_missing_program(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "PROGRAMS", ("no_such_program",))
    monkeypatch.setattr(demo, "LENS_PROGRAM", "no_such_program")
    monkeypatch.setattr(demo, "LANGUAGE_PROGRAMS", (("nlp/no_such_program", ("a sentence",), ()),))
    out = io.StringIO()
    assert demo.main(out=out, out_dir=tmp_path) == 0
    text = out.getvalue()
    assert "skipped" in text and "no lens report" in text and ".html" not in text
