"""Helpers shared by the repository rules."""

def check_execute(result, what):
    """Fails the fetch with the command's output when `result` (of rctx.execute) failed."""
    if result.return_code != 0:
        fail("rules_executorch: {} failed (exit {}):\n{}{}".format(
            what,
            result.return_code,
            result.stdout[-4000:],
            result.stderr[-4000:],
        ))

# Checks a wheel's sha256, then unpacks the members under `prefix` whose relative path is in
# `wanted` (all of them when `wanted` is empty) into the repository root, without the prefix.
_EXTRACT = """
import fnmatch, hashlib, json, os, sys, zipfile
wheel, sha256, prefix, wanted, executable = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5])
h = hashlib.sha256()
with open(wheel, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
        h.update(block)
if h.hexdigest() != sha256:
    sys.exit("sha256 of %s is %s, expected %s; the pinned wheel changed or another one was found" % (os.path.basename(wheel), h.hexdigest(), sha256))
found = set()
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if name.endswith("/") or not name.startswith(prefix):
            continue
        target = name[len(prefix):]
        patterns = [w for w in wanted if fnmatch.fnmatchcase(target, w)]
        if wanted and not patterns:
            continue
        found.update(patterns)
        if os.path.dirname(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, "wb") as dst:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                dst.write(block)
        if any(fnmatch.fnmatchcase(target, e) for e in executable):
            os.chmod(target, 0o755)
        print(target)
missing = [w for w in wanted if w not in found]
if missing:
    sys.exit("%s has nothing matching %s under %s" % (os.path.basename(wheel), ", ".join(missing), prefix or "its root"))
"""

def fetch_wheel(rctx, requirement, sha256, prefix = "", files = [], executable = [], pip_args = []):
    """Downloads one wheel with pip (no dependencies), checks its sha256 and unpacks `files`
    (glob patterns relative to `prefix`; everything under it when empty) into the repository.
    Returns the unpacked files' paths."""
    python = rctx.which("python3")
    if not python:
        fail("rules_executorch: python3 with pip is needed to fetch {}; install python3-pip".format(requirement))
    rctx.report_progress("pip download " + requirement)
    result = rctx.execute(
        [python, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", "_wheel"] +
        pip_args + [requirement],
        timeout = 1800,
    )
    check_execute(result, "pip download " + requirement)
    wheels = [p for p in rctx.path("_wheel").readdir() if p.basename.endswith(".whl")]
    if len(wheels) != 1:
        fail("rules_executorch: pip download {} gave {} wheels, expected one".format(requirement, len(wheels)))
    rctx.file("_extract.py", _EXTRACT)
    result = rctx.execute([python, "_extract.py", str(wheels[0]), sha256, prefix, json.encode(files), json.encode(executable)], timeout = 600)
    check_execute(result, "checking and unpacking " + wheels[0].basename)
    rctx.delete("_wheel")
    rctx.delete("_extract.py")
    return sorted([line for line in result.stdout.splitlines() if line])
