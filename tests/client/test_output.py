"""What the command line shows while it works: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import io

from sync.client.cli import Output


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_progress_bar_redrawn_in_place_on_stderr():
    stdout, stderr = io.StringIO(), Terminal()
    out = Output(False, stdout=stdout, stderr=stderr)
    for done in (0, 5000, 10000):
        out.progress("push", done, 10000)
    out.result({}, "done")
    assert stderr.getvalue().count("\r") == 3 and "[" + "#" * 15 + "." * 15 + "] 5,000/10,000 events" in stderr.getvalue()
    assert stdout.getvalue() == "done\n"


def test_a_pipe_gets_plain_lines_and_json_mode_keeps_stdout_to_one_object():
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output(False, stdout=stdout, stderr=stderr)
    out.progress("push", 0, 10000)
    out.progress("push", 5000, 10000)
    out.progress("processed", 1, 2)
    assert stdout.getvalue().splitlines() == ["pushing events: 5,000/10,000 events", "waiting for the server: 1/2 batches"]
    assert stderr.getvalue() == ""

    stdout = io.StringIO()
    out = Output(True, stdout=stdout, stderr=io.StringIO())
    out.progress("push", 5000, 10000)
    out.result({"ok": True}, "ignored")
    assert stdout.getvalue() == '{"ok": true}\n'
