"""Receiver-sensitive self-calls: `self.m()` in a base class's method reaches m and its
overrides (up to MAX_OVERRIDES), and heat goes to each only from the callers whose receiver may
find it (Edge.by_receiver, Program.receiver_edge)."""

from __future__ import annotations

from test_callgraph import edges, program

# Django-like: a base class's method calls self.exists(); two backends override it, and each
# backend calls the inherited method on itself, one of them in a loop.
BACKENDS = {
    "sess/base.py": (
        "class SessionBase:\n"
        "    def new_key(self):\n"
        "        return self.exists('k')\n"
        "    def exists(self, key):\n"
        "        raise NotImplementedError\n"
    ),
    "sess/db.py": (
        "from sess.base import SessionBase\n"
        "class DbStore(SessionBase):\n"
        "    def create(self):\n"
        "        return self.new_key()\n"
        "    def exists(self, key):\n"
        "        return key\n"
    ),
    "sess/file.py": (
        "from sess.base import SessionBase\n"
        "class FileStore(SessionBase):\n"
        "    def create(self, keys):\n"
        "        for key in keys:\n"
        "            self.new_key()\n"
        "    def exists(self, key):\n"
        "        return key\n"
    ),
    "sess/other.py": (
        "from sess.base import SessionBase\n"
        "class A(SessionBase):\n"
        "    def exists(self, key):\n        return key\n"
        "class B(SessionBase):\n"
        "    def exists(self, key):\n        return key\n"
        "class C(SessionBase):\n"
        "    def exists(self, key):\n        return key\n"
    ),
}


def test_a_self_call_in_an_inherited_method_heats_only_the_receivers_override():
    p = program(BACKENDS)
    e = edges(p)
    # five overrides and the base's own: linked (over the value flow's four), by receiver
    assert ("sess.base.SessionBase.new_key", "sess.db.DbStore.exists") in e
    assert ("sess.base.SessionBase.new_key", "sess.file.FileStore.exists") in e
    assert p.heat["sess.base.SessionBase.new_key"] == 100.0  # the file store's loop
    assert p.heat["sess.file.FileStore.exists"] == 100.0
    # the db store calls new_key once: its exists() is not in the file store's loop
    assert p.heat["sess.db.DbStore.exists"] == 1.0
    assert p.heat["sess.other.A.exists"] == 1.0
    chain = [(edge.caller, edge.callee) for edge in p.hot_chain("sess.file.FileStore.exists")]
    assert chain == [("sess.file.FileStore.create", "sess.base.SessionBase.new_key"),
                     ("sess.base.SessionBase.new_key", "sess.file.FileStore.exists")]
    # the db store's exists() is traced from the db store's call, not from the hotter file store's
    chain = [(edge.caller, edge.callee) for edge in p.hot_chain("sess.db.DbStore.exists")]
    assert chain == [("sess.db.DbStore.create", "sess.base.SessionBase.new_key"),
                     ("sess.base.SessionBase.new_key", "sess.db.DbStore.exists")]


def test_the_receiver_is_followed_through_self_calls_of_the_base_class():
    files = dict(BACKENDS)
    files["sess/base.py"] = (
        "class SessionBase:\n"
        "    def new_key(self):\n"
        "        return self.check()\n"
        "    def check(self):\n"
        "        return self.exists('k')\n"
        "    def exists(self, key):\n"
        "        raise NotImplementedError\n"
    )
    p = program(files)
    assert p.heat["sess.base.SessionBase.check"] == 100.0
    assert p.heat["sess.file.FileStore.exists"] == 100.0
    assert p.heat["sess.db.DbStore.exists"] == 1.0
    chain = [(edge.caller, edge.callee) for edge in p.hot_chain("sess.db.DbStore.exists")]
    assert chain == [("sess.db.DbStore.create", "sess.base.SessionBase.new_key"),
                     ("sess.base.SessionBase.new_key", "sess.base.SessionBase.check"),
                     ("sess.base.SessionBase.check", "sess.db.DbStore.exists")]


# dulwich-like: the base's set_raw calls self._deserialize(), which five classes define; a
# store reads objects in a loop from a receiver nothing is known about.
OBJECTS = {
    "objs.py": (
        "class ShaFile:\n"
        "    def set_raw(self, chunks):\n"
        "        self._deserialize(chunks)\n"
        "    def _deserialize(self, chunks):\n"
        "        raise NotImplementedError\n"
        + "".join(f"class {name}(ShaFile):\n    def _deserialize(self, chunks):\n        return chunks\n"
                  for name in ("Blob", "Tree", "Commit", "Tag", "Unknown"))
    ),
    "store.py": (
        "def read_all(objects, chunks):\n"
        "    for obj in objects:\n"
        "        obj.set_raw(chunks)\n"
    ),
}


def test_an_unknown_receiver_heats_every_override():
    p = program(OBJECTS, hot=["store.read_all"])
    e = edges(p)
    for name in ("Blob", "Tree", "Commit", "Tag", "Unknown"):
        assert ("objs.ShaFile.set_raw", f"objs.{name}._deserialize") in e
        assert p.heat[f"objs.{name}._deserialize"] == 100.0
    kinds = {(e.kind, e.guess) for e in p.edges["objs.ShaFile.set_raw"]}
    # six targets, over the value flow's four: bounded, but heat through them is a guess
    assert kinds == {("bounded", True)}


# the same call made through the class (an exact edge, no guess), the receiver still unknown
BY_CLASS = (
    "from objs import ShaFile\n"
    "def read_all(objects, chunks):\n"
    "    for obj in objects:\n"
    "        ShaFile.set_raw(obj, chunks)\n"
)


def test_over_four_targets_the_heat_is_a_guess():
    p = program({"objs.py": OBJECTS["objs.py"], "store.py": BY_CLASS}, hot=["store.read_all"])
    assert not p.guessed.get("objs.ShaFile.set_raw")
    assert p.heat["objs.Commit._deserialize"] == 100.0
    assert p.guessed.get("objs.Commit._deserialize") is True


def test_up_to_four_targets_are_no_guess():
    files = {"objs.py": (
        "class ShaFile:\n"
        "    def set_raw(self, chunks):\n"
        "        self._deserialize(chunks)\n"
        "    def _deserialize(self, chunks):\n"
        "        raise NotImplementedError\n"
        + "".join(f"class {name}(ShaFile):\n    def _deserialize(self, chunks):\n        return chunks\n"
                  for name in ("Blob", "Tree", "Commit"))
    ), "store.py": BY_CLASS}
    p = program(files, hot=["store.read_all"])
    assert {(e.kind, e.guess) for e in p.edges["objs.ShaFile.set_raw"]} == {("bounded", False)}
    assert p.heat["objs.Commit._deserialize"] == 100.0
    assert not p.guessed.get("objs.Commit._deserialize")


def test_a_typed_receiver_heats_only_the_override_its_class_finds():
    files = dict(OBJECTS)
    files["store.py"] = (
        "from objs import Commit, Blob\n"
        "def read_all(chunks):\n"
        "    commit = Commit()\n"
        "    blob = Blob()\n"
        "    for part in chunks:\n"
        "        commit.set_raw(part)\n"
        "    blob.set_raw(chunks)\n"
    )
    p = program(files, hot=["store.read_all"])
    assert p.heat["objs.Commit._deserialize"] == 100.0
    assert p.heat["objs.Blob._deserialize"] == 1.0
    assert p.heat["objs.Tree._deserialize"] == 1.0


def test_nine_targets_are_too_many_to_link():
    # near miss: eight overrides and the base's own, over MAX_OVERRIDES: only the exact lookup
    files = {"objs.py": OBJECTS["objs.py"] + "".join(
        f"class {name}(ShaFile):\n    def _deserialize(self, chunks):\n        return chunks\n"
        for name in ("Pack", "Delta", "Ref")), "store.py": OBJECTS["store.py"]}
    p = program(files, hot=["store.read_all"])
    targets = {e.callee for e in p.edges["objs.ShaFile.set_raw"]}
    assert targets == {"objs.ShaFile._deserialize"}
    assert p.heat["objs.Commit._deserialize"] == 1.0
