"""Ctrl-C from Python: SIGINT during a long sample(), locate() or
study_locate() returns to Python with KeyboardInterrupt (raised by
Python's own handler, seen by
the polling of eqnemix's wait loop, which cancels the run through
eqnemix's cancel flag).

No timing: a helper thread of the child prints "started" once the main
thread is inside the extension call (its innermost Python frame is the
wrapper's line calling `_eqnemix`); the parent then sends SIGINT and waits
for the child's verdict. Should the signal still land in Python code
before the run (the line's argument evaluation), the child reports
"early" and starts again; the parent signals again. Timeouts only guard
against a hang.
"""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")

GUARD_S = 120

CHILD = textwrap.dedent(
    """
    import linecache
    import signal
    import sys
    import threading
    import time
    import numpy as np
    import eqnemix
    # Python's own SIGINT handler even where the parent left SIGINT ignored
    # (a background job of a non-interactive shell).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, {tests!r})
    from conftest import COVS, HOMOGENEOUS, MEANS, SOURCE, VP, VS

    kind = sys.argv[1]
    r = float(np.linalg.norm(SOURCE))
    picks = [{{"station": "STA", "phase": "P", "time": r / VP, "sigma_s": 0.05}},
             {{"station": "STA", "phase": "S", "time": r / VS, "sigma_s": 0.05}}]
    stations = {{"STA": (0.0, 0.0, 0.0)}}
    main = threading.get_ident()

    def announce():
        # "started" once the main thread waits inside the extension: its
        # innermost Python frame is eqnemix's wrapper on the line calling
        # _eqnemix (this thread runs then because the call released the GIL).
        while True:
            # (study_locate is the extension's own function: there the
            # innermost frame is this script's line calling it.)
            f = sys._current_frames().get(main)
            line = "" if f is None else linecache.getline(f.f_code.co_filename, f.f_lineno)
            if f is not None and ((f.f_code.co_filename == eqnemix.__file__ and "_eqnemix." in line) or "eqnemix.study_locate(" in line):
                print("started", flush=True)
                return
            time.sleep(0.001)

    def logp(x):
        return -0.5 * float(x @ x), -x

    post = eqnemix.posterior(picks, stations, clusters=(MEANS, COVS), settings=HOMOGENEOUS)
    study_post, _ = eqnemix.SyntheticRegion().posterior(0, 1)
    for attempt in range(50):
        threading.Thread(target=announce, daemon=True).start()
        try:
            if kind == "callable":
                eqnemix.sample(logp, "nuts", dim=3, n_chains=2, n_warmup=10**9, n_draws=10)
            elif kind == "study":
                # NUTS from 2000 chains per mode region: minutes unless stopped.
                eqnemix.study_locate(study_post, "nuts", 2000, 1)
            elif kind == "posterior":
                eqnemix.sample(post, "nuts", n_chains=2, n_warmup=10**9, n_draws=10)
            else:
                eqnemix.locate(picks, stations, clusters=(MEANS, COVS), settings=HOMOGENEOUS,
                               sampler="nuts", sampler_settings={{"n_warmup": 10**9, "n_draws": 10}})
            print("finished", flush=True)
            sys.exit(1)
        except KeyboardInterrupt as e:
            if getattr(e, "eqnemix_interrupted", False):
                print("interrupted", flush=True)
                sys.exit(0)
            # The signal came before the call had entered the extension.
            print("early", flush=True)
    sys.exit(2)
    """
)


@pytest.mark.parametrize("kind", ["callable", "posterior", "locate", "study"])
def test_sigint_stops_a_long_run_with_keyboard_interrupt(tmp_path, kind):
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(tests=os.path.dirname(os.path.abspath(__file__))))
    p = subprocess.Popen([sys.executable, str(script), kind], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in p.stdout:
            line = line.strip()
            lines.append(line)
            if line == "started":
                p.send_signal(signal.SIGINT)
            elif line in ("interrupted", "finished"):
                break
        rc = p.wait(timeout=GUARD_S)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err = p.stderr.read()
    assert lines and lines[-1] == "interrupted", (lines, err)
    assert rc == 0, (rc, lines, err)
