"""Result files that appear whole: written to a temporary name beside the
target and renamed over it at the end, so a reader (or a second run) never
sees half of one run mixed with another."""
import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path):
    """`with atomic_write(path) as f:` writes text to path on success; on an
    exception the old file stays and the temporary one is removed."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            yield f
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would stick to the result
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
