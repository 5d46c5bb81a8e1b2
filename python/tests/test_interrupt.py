"""Ctrl-C from Python: SIGINT during a long sample() or locate() returns
to Python with KeyboardInterrupt (raised by Python's own handler, seen by
the polling of eqnemix's wait loop, which cancels the run through
eqnemix's cancel flag).

No timing: the child prints "started" (for a callable density from inside
the density, so the sampler is running), the parent then sends SIGINT and
waits for the child's verdict. Where the signal lands before the run has
entered the library (possible for the posterior paths, which print just
before the call), the child reports "early" and starts again; the parent
signals again. Timeouts only guard against a hang.
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
    import signal
    import sys
    import numpy as np
    # Python's own SIGINT handler even where the parent left SIGINT ignored
    # (a background job of a non-interactive shell).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import eqnemix
    sys.path.insert(0, {tests!r})
    from conftest import COVS, HOMOGENEOUS, MEANS, SOURCE, VP, VS

    kind = sys.argv[1]
    r = float(np.linalg.norm(SOURCE))
    picks = [{{"station": "STA", "phase": "P", "time": r / VP, "sigma_s": 0.05}},
             {{"station": "STA", "phase": "S", "time": r / VS, "sigma_s": 0.05}}]
    stations = {{"STA": (0.0, 0.0, 0.0)}}
    said = False

    def logp(x):
        global said
        if not said:
            said = True
            print("started", flush=True)
        return -0.5 * float(x @ x), -x

    for attempt in range(50):
        said = False
        try:
            if kind == "callable":
                eqnemix.sample(logp, "nuts", dim=3, n_chains=2, n_warmup=10**9, n_draws=10)
            elif kind == "posterior":
                post = eqnemix.posterior(picks, stations, clusters=(MEANS, COVS), settings=HOMOGENEOUS)
                print("started", flush=True)
                eqnemix.sample(post, "nuts", n_chains=2, n_warmup=10**9, n_draws=10)
            else:
                print("started", flush=True)
                eqnemix.locate(picks, stations, clusters=(MEANS, COVS), settings=HOMOGENEOUS,
                               sampler="nuts", sampler_settings={{"n_warmup": 10**9, "n_draws": 10}})
            print("finished", flush=True)
            sys.exit(1)
        except KeyboardInterrupt as e:
            if getattr(e, "eqnemix_interrupted", False):
                print("interrupted", flush=True)
                sys.exit(0)
            print("early", flush=True)
    sys.exit(2)
    """
)


@pytest.mark.parametrize("kind", ["callable", "posterior", "locate"])
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
