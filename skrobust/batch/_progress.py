"""A one-line progress display on stderr, shown only on a terminal."""

import sys
import time


def progress_enabled(progress, stream=None):
    """``progress`` as a bool: "auto" means "when the stream is a terminal"."""
    if progress == "auto":
        stream = sys.stderr if stream is None else stream
        isatty = getattr(stream, "isatty", None)
        return bool(isatty is not None and isatty())
    if isinstance(progress, bool):
        return progress
    raise ValueError(f"progress must be 'auto', True or False, got {progress!r}.")


class Progress:
    """Rewrites one stderr line (rows done, share of the file, rows per
    second) at most every ``interval`` seconds; silent when disabled."""

    def __init__(self, label, enabled, *, stream=None, interval=0.2):
        self.label, self.enabled, self.interval = label, enabled, interval
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter()
        self._shown = 0.0
        self._width = 0

    def update(self, rows, fraction=None, *, final=False):
        if not self.enabled:
            return
        now = time.perf_counter()
        if not final and now - self._shown < self.interval:
            return
        self._shown = now
        elapsed = max(now - self.start, 1e-9)
        share = "100%" if final else ("" if fraction is None else f"{fraction:4.0%}")
        text = (
            f"{self.label}: {share + ' ' if share else ''}{rows:,} rows, "
            f"{rows / elapsed:,.0f} rows/s, {elapsed:.1f} s"
        )
        pad = " " * max(self._width - len(text), 0)
        self._width = len(text)
        self.stream.write(f"\r{text}{pad}{chr(10) if final else ''}")
        self.stream.flush()
        if final:
            self._width = 0

    def abort(self):
        """End a half-drawn line, so that an error message starts on its own."""
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0
