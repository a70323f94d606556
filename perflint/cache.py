"""The phase-1 result cache: one SQLite database in `.perflint_cache/` at the project root.

A file's phase-1 summary (definitions, call sites, candidates) depends only on its bytes,
where it sits (display path, module name, package/test flags), the selected rules with their
options, and the code of perflint and libcst. The key covers all of those, so a hit is never
stale: the content is identified by its sha256, never by its mtime. The (inode, mtime, ctime,
size) of a file only serves as a pre-check that maps an unchanged file to the hash recorded
the last time it was read; an entry recorded within two seconds of the file's mtime is not
trusted (git's "racily clean" rule), so an edit in the same timestamp tick is still seen.

Anything wrong with the database (another perflint version, garbage, a read-only or missing
folder, a lock held too long) costs one warning line on stderr and the run goes on without
the cache, or with a rebuilt one. The output never depends on the cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from perflint import __version__
from perflint.discovery import SourceFile
from perflint.summary import ModuleSummary

CACHE_DIR_NAME = ".perflint_cache"
DB_NAME = "cache.sqlite3"
SCHEMA = 2  # 2: the linked-result table (perflint/runcache.py)
KEEP_RUN_KEYS = 4  # result sets kept for this many rule selections / perflint builds
KEEP_LINKED = 4  # whole-run results kept (perflint/runcache.py)
RACY_NS = 2_000_000_000  # a stat record this close to the file's mtime is not trusted
_OWN_FILES = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal", ".gitignore", "CACHEDIR.TAG")
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by perflint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)

Stat = Tuple[int, int, int, int]  # (inode, mtime_ns, ctime_ns, size)


def default_cache_dir(root: Path) -> Path:
    return Path(root) / CACHE_DIR_NAME


def file_stat(st: os.stat_result) -> Stat:
    return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


# perflint modules that never run in phase 1: editing them does not invalidate the cache.
NOT_PHASE_ONE = frozenset({
    "__main__.py", "cli.py", "engine.py", "callgraph.py", "scoring.py", "baseline.py", "docs.py",
    "testing.py", "parallel.py", "registry.py", "config.py",
})


def _code_fingerprint() -> str:
    """Sizes and mtimes of perflint's own modules and rules: a rule edited in a checkout
    invalidates the results it produced, even without a version bump."""
    import libcst

    import perflint
    import perflint.rules

    pinned = os.environ.get("PERFLINT_CODE_FINGERPRINT")
    if pinned:  # tests pin it: other work in the same checkout must not turn hits into misses
        return f"{__version__}\n{pinned}"
    parts = [__version__, getattr(getattr(libcst, "_version", None), "__version__", "?"), sys.version]
    parts += module_stats(perflint, ("report", "lsp"), NOT_PHASE_ONE)
    parts += module_stats(perflint.rules, (), frozenset())
    return "\n".join(parts)


def module_stats(package, skip_dirs: Sequence[str], skip_files: frozenset, suffixes=(".py",),
                 only: Optional[frozenset] = None) -> List[str]:
    """`path:size:mtime` of a package's modules (sorted; only those named in `only`, if given),
    for code fingerprints."""
    parts = []
    for base in package.__path__:
        for current, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and d not in skip_dirs)
            for name in sorted(files):
                if name.endswith(suffixes) and name not in skip_files and (only is None or name in only):
                    try:
                        st = os.stat(os.path.join(current, name))
                    except OSError:
                        continue
                    parts.append(f"{os.path.relpath(os.path.join(current, name), base)}:{st.st_size}:{st.st_mtime_ns}")
    return parts


def run_key(rules: Sequence[object]) -> str:
    """What, besides the file itself, a phase-1 summary depends on: the selected rules with
    their options and the code that runs them. Phase-2 settings (hot, thresholds,
    min-severity, per-file-ignores, overrides) are applied after the cache and are not in it."""
    selected = sorted(
        (type(r).CODE, repr(sorted(getattr(r, "options", {}).items()))) for r in rules  # type: ignore[attr-defined]
    )
    text = f"schema {SCHEMA}\n{_code_fingerprint()}\n{selected!r}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_key(sha: str, file: SourceFile) -> str:
    text = f"{sha}\0{file.display}\0{file.module}\0{file.alias}\0{int(file.is_package)}\0{int(file.is_test)}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class _Pending:
    path: str
    stat: Optional[Stat]
    sha: str
    recorded_ns: int
    key: Optional[str] = None
    display: str = ""
    blob: Optional[bytes] = None


class ResultCache:
    """Lookups and writes for one run; `open_cache` builds it (or returns None)."""

    def __init__(self, conn: sqlite3.Connection, directory: Path, key: str, warn: Callable[[str], None]) -> None:
        self.conn = conn
        self.directory = directory
        self.run_key = key
        self._warn = warn
        self.disabled = False
        self._stats: Dict[str, Tuple[Stat, str, int]] = {}
        self._writes: List[_Pending] = []
        self.hits = 0
        self.misses = 0
        try:
            for path, ino, mtime, ctime, size, sha, recorded in conn.execute(
                "SELECT path, ino, mtime_ns, ctime_ns, size, sha, recorded_ns FROM files"
            ):
                self._stats[path] = ((ino, mtime, ctime, size), sha, recorded)
        except sqlite3.Error as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        if not self.disabled:
            self.disabled = True
            self._warn(f"cache {self.directory}: {_describe(exc)}; running without cache")

    # -- lookups --------------------------------------------------------------------
    def known_hash(self, path: Path, stat: Stat) -> Optional[str]:
        """The recorded content hash of `path` if its stat is unchanged and not racy."""
        entry = self._stats.get(str(path))
        if entry is None:
            return None
        old, sha, recorded = entry
        if old != stat or stat[1] >= recorded - RACY_NS:
            return None
        return sha

    def get(self, sha: str, file: SourceFile) -> Optional[ModuleSummary]:
        summary = self._load("SELECT summary FROM results WHERE run_key = ? AND file_key = ?",
                             (self.run_key, file_key(sha, file)))
        return summary if isinstance(summary, ModuleSummary) else None

    def linked(self, key: str) -> Optional[object]:
        """The whole-run result stored under `key` (perflint/runcache.py), or None."""
        value = self._load("SELECT blob FROM linked WHERE key = ?", (key,))
        if value is not None:
            try:
                with self.conn:  # least recently used goes first
                    self.conn.execute("UPDATE linked SET last_used = ? WHERE key = ?", (time.time(), key))
            except sqlite3.Error:
                pass  # a read-only moment is no reason to drop a good result
        return value

    def _load(self, query: str, params: Tuple[str, ...]) -> Optional[object]:
        """The unpickled blob of the row `query` selects; None if absent or damaged (a miss:
        the run writes a new entry over it)."""
        if self.disabled:
            return None
        try:
            row = self.conn.execute(query, params).fetchone()
        except sqlite3.Error as exc:
            self._fail(exc)
            return None
        if row is None:
            return None
        try:
            return pickle.loads(row[0])
        except Exception:
            return None

    def put_linked(self, key: str, value: object) -> None:
        """Keep `value` under `key`, and only the KEEP_LINKED most recent of them."""
        if self.disabled:
            return
        try:
            blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # pragma: no cover - results are plain dataclasses
            return
        try:
            with self.conn:
                self.conn.execute("INSERT OR REPLACE INTO linked (key, blob, last_used) VALUES (?, ?, ?)",
                                  (key, blob, time.time()))
                self.conn.execute("DELETE FROM linked WHERE key IN (SELECT key FROM linked"
                                  " ORDER BY last_used DESC LIMIT -1 OFFSET ?)", (KEEP_LINKED,))
        except sqlite3.Error as exc:
            self._fail(exc)

    # -- writes (one transaction at the end of the run) -----------------------------------
    def record_stat(self, path: Path, stat: Optional[Stat], sha: str, recorded_ns: int) -> None:
        if stat is None:
            return
        entry = self._stats.get(str(path))
        if entry is not None and entry[0] == stat and entry[1] == sha and entry[2] == recorded_ns:
            return
        self._writes.append(_Pending(str(path), stat, sha, recorded_ns))

    def put(self, path: Path, stat: Optional[Stat], sha: str, recorded_ns: int, file: SourceFile, summary: ModuleSummary) -> None:
        if self.disabled:
            return
        try:
            blob = pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # pragma: no cover - summaries are plain dataclasses
            return
        self._writes.append(_Pending(str(path), stat, sha, recorded_ns, file_key(sha, file), file.display, blob))

    def flush(self) -> None:
        if self.disabled or not self._writes:
            self._writes = []
            return
        # A file name that is not valid UTF-8 (surrogate escapes) cannot be a TEXT key:
        # such files are simply analysed again next time.
        self._writes = [w for w in self._writes if _encodable(w.path) and _encodable(w.display or "")]
        try:
            with self.conn:
                stats = [
                    (w.path, w.stat[0], w.stat[1], w.stat[2], w.stat[3], w.sha, w.recorded_ns)
                    for w in self._writes
                    if w.stat is not None
                ]
                self.conn.executemany(
                    "INSERT OR REPLACE INTO files (path, ino, mtime_ns, ctime_ns, size, sha, recorded_ns)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    stats,
                )
                results = [w for w in self._writes if w.blob is not None]
                # One entry per displayed path and rule selection: an edited file replaces its
                # old entry, so the database does not grow with every edit.
                self.conn.executemany(
                    "DELETE FROM results WHERE run_key = ? AND path = ? AND file_key != ?",
                    [(self.run_key, w.display, w.key) for w in results],
                )
                self.conn.executemany(
                    "INSERT OR REPLACE INTO results (run_key, file_key, path, summary) VALUES (?, ?, ?, ?)",
                    [(self.run_key, w.key, w.display, w.blob) for w in results],
                )
                self.conn.execute(
                    "INSERT OR REPLACE INTO runs (run_key, last_used) VALUES (?, ?)", (self.run_key, time.time())
                )
                old = [
                    r[0]
                    for r in self.conn.execute(
                        "SELECT run_key FROM runs ORDER BY last_used DESC LIMIT -1 OFFSET ?", (KEEP_RUN_KEYS,)
                    )
                ]
                stale = [(key,) for key in old]
                self.conn.executemany("DELETE FROM results WHERE run_key = ?", stale)
                self.conn.executemany("DELETE FROM runs WHERE run_key = ?", stale)
        except (sqlite3.Error, UnicodeError, ValueError) as exc:
            self._fail(exc)
        self._writes = []

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:  # pragma: no cover
            pass


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db), timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.isolation_level = ""  # `with conn:` opens and commits transactions
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _schema(conn: sqlite3.Connection) -> Optional[str]:
    """Create the tables if new; the version that wrote an existing database if it differs."""
    with conn:
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if rows and (rows.get("schema") != str(SCHEMA) or rows.get("version") != __version__):
            return rows.get("version", "an unknown version")
        if not rows:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (__version__,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, ino INTEGER, mtime_ns INTEGER,"
            " ctime_ns INTEGER, size INTEGER, sha TEXT NOT NULL, recorded_ns INTEGER NOT NULL)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS results (run_key TEXT NOT NULL, file_key TEXT NOT NULL,"
            " path TEXT NOT NULL, summary BLOB NOT NULL, PRIMARY KEY (run_key, file_key))"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS results_path ON results (run_key, path)")
        conn.execute("CREATE TABLE IF NOT EXISTS runs (run_key TEXT PRIMARY KEY, last_used REAL NOT NULL)")
        conn.execute("CREATE TABLE IF NOT EXISTS linked (key TEXT PRIMARY KEY, blob BLOB NOT NULL, last_used REAL NOT NULL)")
    return None


def _remove_db(directory: Path) -> None:
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal"):
        try:
            (directory / name).unlink()
        except FileNotFoundError:
            pass


def _prepare_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in ((".gitignore", "# created by perflint: nothing here belongs in version control\n*\n"),
                       ("CACHEDIR.TAG", _CACHEDIR_TAG)):
        path = directory / name
        if not path.exists():
            path.write_text(text, encoding="utf-8")


def cache_exists(directory: Path) -> bool:
    return (Path(directory) / DB_NAME).is_file()


def open_cache(directory: Path, rules: Sequence[object], warn: Optional[Callable[[str], None]] = None) -> Optional[ResultCache]:
    """The cache in `directory` for this rule selection, or None (after one warning) when
    it cannot be used. A database from another version, or one that is not a database,
    is dropped and rebuilt."""
    warn = warn or _stderr_warning
    directory = Path(directory)
    try:
        _prepare_dir(directory)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(13, "the folder is not writable")
    except OSError as exc:
        warn(f"cannot use cache folder {directory}: {_describe(exc)}; running without cache")
        return None
    db = directory / DB_NAME
    if db.exists() and not os.access(db, os.R_OK | os.W_OK):
        warn(f"cannot use cache {db}: the database is not writable; running without cache")
        return None
    key = run_key(rules)
    conn: Optional[sqlite3.Connection] = None
    try:
        conn = _connect(db)
        other = _schema(conn)
        if other is not None:
            conn.close()
            _remove_db(directory)
            warn(f"cache {directory} was written by perflint {other}; rebuilding it")
            conn = _connect(db)
            _schema(conn)
        return ResultCache(conn, directory, key, warn)
    except (sqlite3.DatabaseError, OSError) as exc:
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:  # pragma: no cover
                pass
        # Garbage, a truncated file, a database from something else: start over, once.
        try:
            _remove_db(directory)
            conn = _connect(db)
            _schema(conn)
        except (sqlite3.Error, OSError) as again:
            warn(f"cannot use cache {db}: {_describe(again)}; running without cache")
            return None
        warn(f"cache {db} was unreadable ({_describe(exc)}); rebuilding it")
        return ResultCache(conn, directory, key, warn)


def clean_cache(directory: Path) -> bool:
    """Remove the cache folder's own files and the folder if then empty; True if it existed.

    Only perflint's own files are removed, so a mistaken --cache-dir cannot delete anything else.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return False
    for name in _OWN_FILES:
        try:
            (directory / name).unlink()
        except FileNotFoundError:
            pass
    try:
        directory.rmdir()
    except OSError:
        pass
    return True


def _stderr_warning(message: str) -> None:
    print(f"perflint: warning: {message}", file=sys.stderr)
