"""The README's Python session runs, locates its event near the source
(19, 11, 7) km in cluster 0 and plots it."""

import contextlib
import io
import pathlib
import re

import numpy as np

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_session_locates_its_event(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # the session writes event.png
    text = README.read_text()
    section = text[text.index("## Python\n"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10
    scope = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "README.md", "exec"), scope)
    s = scope["res"]["summary"]
    assert np.linalg.norm(np.array(s["location_km"]) - [19.0, 11.0, 7.0]) < 5.0
    assert np.argmax(s["cluster_probabilities"]) == 0
    assert (tmp_path / "event.png").stat().st_size > 5_000
