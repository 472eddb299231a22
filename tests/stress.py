"""Run the suite several times while every core is kept busy: a suite that passes only on an idle machine flakes.

    python tests/stress.py [--runs 3] [--load N] [pytest arguments ...]

One busy worker per core (stress-ng when installed, else a Python busy loop per core) runs for the whole
series and is stopped whatever happens, Ctrl-C included. Each run's pytest result line and wall time are
printed; the exit status is non-zero when any run failed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _busy() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent stops us; Ctrl-C must reach pytest only
    while True:
        pass


class Load:
    """N busy workers, started in their own process group so they are stopped as one, by id."""

    def __init__(self, workers: int):
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.loops: list[multiprocessing.Process] = []

    def __enter__(self) -> "Load":
        if shutil.which("stress-ng"):
            self.proc = subprocess.Popen(["stress-ng", "--cpu", str(self.workers), "--quiet"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
            self.kind = f"stress-ng --cpu {self.workers}"
        else:
            for _ in range(self.workers):
                loop = multiprocessing.Process(target=_busy, daemon=True)
                loop.start()
                self.loops.append(loop)
            self.kind = f"{self.workers} Python busy loops"
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)   # stress-ng's own workers are in its group
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for loop in self.loops:
            loop.kill()
            loop.join()


def result_line(output: str) -> str:
    """pytest's closing summary ('12 passed in 3.4s'), or the last non-empty line when there is none."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if any(word in line for word in (" passed", " failed", " error", "no tests ran")):
            return line.strip("= ")
    return lines[-1] if lines else "(no output)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="how many times to run the suite (default 3)")
    parser.add_argument("--load", type=int, default=os.cpu_count() or 2,
                        help="busy workers, default one per core")
    args, pytest_args = parser.parse_known_args(argv)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args]
    results = []
    with Load(args.load) as load:
        print(f"load: {load.kind}; suite: {' '.join(command[1:])}", flush=True)
        for n in range(1, args.runs + 1):
            started = time.monotonic()
            done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            wall = time.monotonic() - started
            line = result_line(done.stdout)
            results.append(done.returncode)
            print(f"run {n}/{args.runs}: {'PASS' if done.returncode == 0 else 'FAIL'} "
                  f"({line}) wall {wall:.0f} s", flush=True)
            if done.returncode != 0:
                print(done.stdout[-6000:], flush=True)
    failed = sum(1 for r in results if r != 0)
    print(f"{len(results) - failed}/{len(results)} runs passed under load")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
