"""Which database a package talks to, read from its imports.

A query against SQLite runs in-process and costs microseconds; a query against a database
server is a network round trip. A rule sees one file: `gitlog.py` runs `self._db.execute()` on
a connection that its sibling `index.py` opened with `sqlite3.connect`. Phase 2 sees the
package: when some module of the same package imports SQLite's driver and none imports a
server's driver or an ORM that may front one, the package's queries are local.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from perflint.callgraph import Program

_SQLITE = ("sqlite3", "aiosqlite", "apsw", "pysqlite2")
# Drivers of database servers, and ORMs/toolkits whose engine may be one.
_SERVERS = ("psycopg", "psycopg2", "psycopg2cffi", "asyncpg", "aiopg", "pg8000", "pymysql", "MySQLdb",
            "mysql", "aiomysql", "asyncmy", "cx_Oracle", "oracledb", "pyodbc", "pymssql", "ibm_db",
            "sqlalchemy", "django", "peewee", "pony", "tortoise", "pymongo", "motor", "redis",
            "cassandra", "clickhouse_driver", "snowflake", "google.cloud")

# Cost keys of a server's query, and the in-process key that replaces them for SQLite.
# An index or table created again in SQLite is a catalog check in-process, not a server's round trip.
LOCAL_QUERY = {"query-roundtrip-network": "query-roundtrip", "index-ddl-statement": "query-roundtrip"}


def _top(target: str, names: Tuple[str, ...]) -> bool:
    return any(target == n or target.startswith(n + ".") for n in names)


class Backends:
    """Per package: whether it imports SQLite, and whether it imports a server's driver."""

    def __init__(self, program: "Program") -> None:
        self._flags: Dict[str, Tuple[bool, bool]] = {}
        for name, mod in program.modules.items():
            targets = mod.imports.values()
            sqlite = any(_top(t, _SQLITE) for t in targets)
            server = any(_top(t, _SERVERS) for t in targets)
            if not (sqlite or server):
                continue
            package = name.rpartition(".")[0]
            while package:  # a module counts for every package above it
                old = self._flags.get(package, (False, False))
                self._flags[package] = (old[0] or sqlite, old[1] or server)
                package = package.rpartition(".")[0]

    def sqlite_only(self, module: str) -> bool:
        """The module's package talks to SQLite and to no database server."""
        sqlite, server = self._flags.get(module.rpartition(".")[0], (False, False))
        return sqlite and not server
