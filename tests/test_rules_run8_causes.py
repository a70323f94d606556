"""Causes of FALSE findings on code perflint was never tuned on (Airflow, Home Assistant, buildbot;
labelled in run 8): a loop over a fixed list of tables is not per row, a savepoint is not a
commit, a record re-read is not a rebuild, merge() and a batched query are not N+1."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code):
    return [f for f in lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.rule == code]


# -- a loop over a fixed list of tables: one set-based statement per table ---------------------
MODELS_LIST = '''
def _move(session, table):
    session.execute(table.delete())

def check_refs(session, TaskInstance, TaskFail, XCom):
    models_list: list[tuple[type, str]] = [
        (TaskInstance, "2.2"),
        (TaskFail, "2.3"),
        (XCom, "2.3"),
    ]
    for model, version in models_list:
        _move(session, model)
'''

CONFIG_DICT = '''
class Cfg:
    def __init__(self, name):
        self.name = name
CONFIGS = [Cfg("job"), Cfg("dag"), Cfg("log"), Cfg("xcom")]
BY_NAME = {c.name: c for c in sorted(CONFIGS)}

def _do_delete(session, cfg):
    session.execute(cfg.delete())

def _pick(wanted):
    chosen = {k: v for k, v in BY_NAME.items() if k in wanted}
    names = set(chosen)
    return names, chosen

def run_cleanup(session, wanted):
    names, chosen = _pick(wanted)
    for name, cfg in chosen.items():
        _do_delete(session, cfg)
'''


def test_annotated_local_list_of_model_tuples_bounds_its_loop():
    (f,) = found(MODELS_LIST, "PFL503")
    assert (f.line, f.severity, f.frequency) == (3, "note", 3.0)


def test_filtered_view_of_a_module_config_dict_bounds_the_callers_loop():
    (f,) = found(CONFIG_DICT, "PFL503")
    # BY_NAME is a comprehension over CONFIGS (4 items); _pick returns a filtered view of it
    assert (f.line, f.severity, f.frequency) == (9, "note", 4.0)


def test_a_function_returning_a_view_of_its_argument_stays_unbounded():
    src = CONFIG_DICT.replace("BY_NAME.items() if k in wanted", "wanted.items()")
    (f,) = found(src, "PFL503")
    assert (f.severity, f.frequency) == ("error", 100.0)


# -- PFL503: merge and batches ----------------------------------------------------------------
def test_merge_of_loaded_objects_is_not_a_query():
    src = ("def reset(session, select, TI, run):\n"
           "    for ti in session.scalars(select(TI).where(TI.run_id == run)):\n"
           "        ti.state = None\n        session.merge(ti)\n    session.commit()\n")
    assert found(src, "PFL503") == []


def test_chunked_delete_by_ids_is_the_batched_form():
    src = ("def purge(session, T, ids, STEP):\n    total = 0\n"
           "    for i in range(0, len(ids), STEP):\n"
           "        total += session.query(T).filter(T.id.in_(ids[i : i + STEP])).delete(synchronize_session=False)\n"
           "    return total\n")
    assert found(src, "PFL503") == []


def test_in_over_a_constant_with_a_per_item_condition_is_still_n_plus_1():
    src = ("def open_orders(session, T, users, STATES):\n    out = []\n    for u in users:\n"
           "        out.append(session.query(T).filter(T.status.in_(STATES), T.user_id == u.id).all())\n"
           "    return out\n")
    assert [f.line for f in found(src, "PFL503")] == [4]


def test_rows_collected_before_execute_are_one_executemany():
    src = ("def copy(conn, table, q, keys):\n    while True:\n        rows = q.get()\n"
           "        row_dicts = [{k: getattr(r, k) for k in keys} for r in rows]\n"
           "        row_dicts = check(row_dicts)\n        if len(row_dicts) > 0:\n"
           "            conn.execute(table.insert(), row_dicts)\n            conn.commit()\n")
    assert found(src, "PFL503") == []


# -- PFL402: a savepoint per item --------------------------------------------------------------
def test_begin_nested_per_item_is_a_savepoint_not_a_commit():
    src = ("class M:\n    @classmethod\n    def queue(cls, items, session):\n"
           "        def one(item):\n            try:\n                with session.begin_nested():\n"
           "                    session.merge(item)\n            except ValueError:\n                pass\n"
           "            return item\n        return [one(i) for i in items]\n")
    assert found(src, "PFL402") == []
    assert [f.line for f in found(src.replace("begin_nested", "begin"), "PFL402")] == [6]


# -- PFL301: one record re-read; a rebuild checked in time ---------------------------------------
def test_refresh_from_db_is_not_a_rebuild():
    src = ("import os\nclass TI:\n    def refresh_from_db(self, session):\n        self.state = session.get(TI, 1).state\n"
           "    def flush(self):\n        os.fsync(self.fd)\n        self.refresh_from_db(self.session)\n")
    assert found(src, "PFL301") == []
    assert [f.line for f in found(src.replace("refresh_from_db", "refresh"), "PFL301")] == [7]


def test_a_rebuilder_that_checks_the_elapsed_time_first_is_guarded():
    src = ("import os\nclass Manager:\n    def _refresh_dir(self):\n        now = self.clock()\n"
           "        elapsed = now - self.last_refresh_time\n        if elapsed > self.list_interval:\n"
           "            self._paths = self.list_files()\n            self.last_refresh_time = now\n"
           "    def commit(self):\n        os.fsync(self.fd)\n        self._refresh_dir()\n")
    assert found(src, "PFL301") == []
    unguarded = src.replace("        if elapsed > self.list_interval:\n", "        if self.enabled:\n")
    assert [f.line for f in found(unguarded, "PFL301")] == [11]
