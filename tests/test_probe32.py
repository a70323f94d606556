"""A loop whose passes only make a candidate and ask whether it is taken makes one pass per
collision (repetition._probe_until_free): prefect's state timestamp bumped until free and
oscar's voucher codes drawn by a helper until unused were counted as loops over data."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code="PFL503"):
    return [f for f in lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.rule == code]


PROBES = '''
import datetime

def unique_ts(session, run, ts):
    while session.scalar(select(State.ts).where(State.run_id == run.id, State.ts == ts).limit(1)) is not None:
        ts += datetime.timedelta(microseconds=1)
    return ts

def unique_code(length):
    while True:
        code = generate_code(length)
        if not Voucher.objects.filter(code=code).exists():
            return code

def unique_slug(base):
    slug, i = base, 1
    while Page.objects.filter(slug=slug).exists():
        slug = f"{base}-{i}"
        i += 1
    return slug

def free_name(base, used):
    name = base
    while True:
        name = name + "_"
        if name not in used:
            break
    Log.objects.create(name=name)

def create_vouchers(n):
    for _ in range(n):
        Voucher.objects.create(code=unique_code(8))
'''


def test_a_loop_that_tries_candidates_until_one_is_free_makes_one_pass():
    # each probe's query decides an attempt (as a random draw's does): not one per item, even
    # where a caller's loop repeats the probe; the per-voucher create is the N+1 left
    assert [(f.line, f.function) for f in found(PROBES)] == [(32, "create_vouchers")]


def test_main_counted_each_probe_as_a_loop_over_data():
    # the loops main counted x100 (x10 under create_vouchers): what the change takes away
    from perflint.repetition import while_trips
    import libcst as cst

    loops = [n for n in cst.parse_module(PROBES).body if type(n) is cst.FunctionDef]
    whys = {}
    for fn in loops:
        for stmt in fn.body.body:
            if type(stmt) is cst.While:
                whys[fn.name.value] = while_trips(stmt)
    assert whys == {
        "unique_ts": (1.0, "tries candidates until session.scalar() finds one free: a collision is rare, one pass"),
        "unique_code": (1.0, "tries candidates until Voucher.objects.filter() finds one free: a collision is rare, one pass"),
        "unique_slug": (1.0, "tries candidates until Page.objects.filter() finds one free: a collision is rare, one pass"),
        "free_name": (1.0, "tries candidates until a membership test finds one free: a collision is rare, one pass"),
    }


NEAR_MISSES = '''
def ancestors(node):
    while Node.objects.filter(pk=node.parent_id).exists():
        node = node.parent
    return node

def drain(q):
    while q:
        item = q.pop()
        Device.objects.filter(serial=item).exists()

def consume(rows):
    while True:
        row = next_row(rows)
        Device.objects.filter(serial=row).update(seen=True)
        if not Device.objects.filter(serial=row).exists():
            break

def wait_for_rows(n):
    count = 0
    while count < n:
        count = Row.objects.filter(done=True).count()
'''


def test_a_pass_that_does_anything_else_is_still_data():
    # a walk to the parent, a drain, a pass that updates a row, a count polled without a
    # candidate bound from its answer's argument (count is bound from the query itself)
    assert [(f.line, f.function) for f in found(NEAR_MISSES)] == [
        (3, "ancestors"), (10, "drain"), (15, "consume"), (22, "wait_for_rows")]


def test_a_read_until_a_marker_is_not_a_probe():
    # a membership test in a literal tuple asks nothing about the world
    from perflint.repetition import while_trips
    import libcst as cst

    loop = cst.parse_statement("while True:\n    chunk = sock.recv(64)\n    if chunk in (b'', b'.'):\n        break\n")
    assert while_trips(loop) == (None, "")


def test_messages_read_until_one_passes_a_predicate_are_not_a_probe():
    # no lookup asks whether the value is taken: the loop reads data until an answer comes
    # (pywatchman's query skips unilateral responses), not one pass per collision
    from perflint.repetition import while_trips
    import libcst as cst

    loop = cst.parse_statement("while self.isUnilateralResponse(res):\n    res = self.receive()\n")
    assert while_trips(loop) == (None, "")
