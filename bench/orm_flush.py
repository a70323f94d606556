"""Measure what an ORM session's flush per added row costs over one flush for the rows.

    python bench/orm_flush.py            # needs SQLAlchemy (not a perflint dependency)

The cost PFL402 charges a `session.flush()` per item (`orm-flush` in perflint/calibrate.py
ESTIMATES, and `orm-flush-network`, which adds a server round trip). SQLAlchemy against SQLite in
memory: a mapped class with an integer key and a many-to-one relationship to rows already loaded;
per row a new object is built, linked and added, then the session is flushed per row (the smell)
or once after the loop (the fix). GC off; the rows' time divided by their count; the least of
several rounds. In memory there is no disk and no network: what is left is the unit of work's own
cost per flush (it sorts the pending objects, builds and runs a statement per mapper, fetches the
new keys, resets its state) and an in-process INSERT per row.
"""

from __future__ import annotations

import gc
import sys
import time

try:
    from sqlalchemy import ForeignKey, Integer, String, __version__, create_engine
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
except ImportError:  # pragma: no cover
    sys.exit("bench/orm_flush.py needs SQLAlchemy 2.x: pip install sqlalchemy")


class Base(DeclarativeBase):
    pass


class Build(Base):
    __tablename__ = "build"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Link(Base):
    __tablename__ = "link"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("build.id"))
    arch: Mapped[str] = mapped_column(String(20))
    build = relationship(Build)


def per_row_seconds(rows: int, flush_per_row: bool) -> float:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([Build(name=f"b{i}") for i in range(rows)])
        session.commit()
        builds = session.query(Build).all()
        warm = Link(arch="warm")
        warm.build = builds[0]
        session.add(warm)
        session.flush()  # mapper and statement caches warmed before timing
        gc.disable()
        start = time.perf_counter()
        for build in builds:
            link = Link(arch="x86_64")
            link.build = build
            session.add(link)
            if flush_per_row:
                session.flush()  # perflint: ignore[PFL402] (the smell being measured)
        session.flush()
        elapsed = time.perf_counter() - start
        gc.enable()
        session.commit()
    engine.dispose()
    return elapsed / rows


def main() -> int:
    print(f"SQLAlchemy {__version__}, Python {sys.version.split()[0]}, SQLite in memory")
    for rows, rounds in ((100, 15), (1000, 5)):
        smell = min(per_row_seconds(rows, True) for _ in range(rounds))
        fix = min(per_row_seconds(rows, False) for _ in range(rounds))
        print(f"{rows} rows: flush per row {smell * 1e6:.1f} us/row, one flush {fix * 1e6:.1f} us/row, "
              f"wasted {(smell - fix) * 1e6:.1f} us per flush (least of {rounds} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
