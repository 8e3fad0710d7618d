"""Runs one process of a run and reaps it: `python3 -m llt.wrapper DIR NAME -- COMMAND...`
starts COMMAND with its stdout in DIR/NAME.out and stderr in DIR/NAME.err, appends
"NAME PID" to DIR/pids, waits for it and writes its exit code to DIR/NAME.rc (a death by
signal N as 128 + N, as a shell reports it). Started detached by run.launch(), so a run
outlives the command that started it."""

import os
import signal
import subprocess
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: python3 -m llt.wrapper DIR NAME -- COMMAND...", file=sys.stderr)
        return 2
    run_dir, name, command = argv[0], argv[1], argv[3:]
    # The terminal's Ctrl-C reaches the process itself (same process group); the wrapper
    # stays to record its exit code.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def default_signals() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    with open(os.path.join(run_dir, f"{name}.out"), "wb") as out, \
            open(os.path.join(run_dir, f"{name}.err"), "wb") as err:
        try:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                     preexec_fn=default_signals)
        except OSError as e:
            err.write(f"{command[0]}: {e}\n".encode())
            err.flush()
            with open(os.path.join(run_dir, "pids"), "a", encoding="utf-8") as pids:
                pids.write(f"{name} 0\n")
            _write_rc(run_dir, name, 127)
            return 0
        with open(os.path.join(run_dir, "pids"), "a", encoding="utf-8") as pids:
            pids.write(f"{name} {child.pid}\n")
        rc = child.wait()
    _write_rc(run_dir, name, 128 - rc if rc < 0 else rc)
    return 0


def _write_rc(run_dir: str, name: str, rc: int) -> None:
    tmp = os.path.join(run_dir, f".{name}.rc")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{rc}\n")
    os.replace(tmp, os.path.join(run_dir, f"{name}.rc"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
