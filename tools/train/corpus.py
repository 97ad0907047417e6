"""The training corpus: the Python standard library's own source.

The file list is every `*.py` under Debian's /usr/lib/python3.X, excluding
`dist-packages` (third-party code) and `site-packages`, sorted by path. Each
file goes to the held-out set when the first byte of sha256(relative path) is
below `holdout_per_256`, so the split does not depend on file contents or on
the order files are found.
"""
import glob
import hashlib
import os
import sys


def stdlib_dir():
    """The Debian stdlib folder of the running interpreter's version."""
    major, minor = sys.version_info[:2]
    path = f"/usr/lib/python{major}.{minor}"
    if not os.path.isdir(path):
        raise SystemExit(f"error: {path} does not exist; run with Debian's /usr/bin/python3")
    return path


def list_files(root):
    files = []
    for path in glob.glob(os.path.join(root, "**", "*.py"), recursive=True):
        rel = os.path.relpath(path, root)
        if rel.startswith(("dist-packages", "site-packages")):
            continue
        files.append(rel)
    return sorted(files)


def is_holdout(rel, holdout_per_256):
    return hashlib.sha256(rel.encode()).digest()[0] < holdout_per_256


def load(root, holdout_per_256=13):
    """Returns (train_texts, val_texts, manifest). Files that are not valid
    UTF-8 are skipped and listed in the manifest."""
    train, val, entries, skipped = [], [], [], []
    for rel in list_files(root):
        data = open(os.path.join(root, rel), "rb").read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            skipped.append(rel)
            continue
        held = is_holdout(rel, holdout_per_256)
        (val if held else train).append(text)
        entries.append({"path": rel, "sha256": hashlib.sha256(data).hexdigest(),
                        "bytes": len(data), "split": "val" if held else "train"})
    manifest = {
        "root": root,
        "python_version": sys.version.split()[0],
        "files": entries,
        "skipped_not_utf8": skipped,
        "train_bytes": sum(e["bytes"] for e in entries if e["split"] == "train"),
        "val_bytes": sum(e["bytes"] for e in entries if e["split"] == "val"),
    }
    return train, val, manifest
