"""Session twenty-two, call graph: `from .module import *` of one of the program's own modules.
hanabi (chikinn/hanabi, bench/realbugs.toml) deep-copied every hand and the progress dict per
turn in Round.get_play, and its round loop lives in a module that takes Round through a star
import: phase 1 did not know the name, so the loop's calls had no edge (or a guess by name) and
the per-turn copy was priced at one call. Phase 2 now resolves the names a star import of an
in-program module binds: its literal `__all__`, else its public top-level names (with those it
imports or star-imports in turn). The first tests fail on the code before the change."""

from __future__ import annotations

from perflint.testing import lint_sources

from conftest import rule_findings
from test_callgraph import edges, program

CLASSES = '''
import copy


class Hand:
    def __init__(self, n):
        self.cards = [{"name": str(i), "known": ""} for i in range(n)]


class Round:
    def __init__(self, players):
        self.h = [Hand(5) for _ in players]
        self.progress = {c: 0 for c in "rygbw"}
        self.hands_history = []
        self.progress_history = []

    def get_play(self, player):
        self.hands_history.append(copy.deepcopy(self.h))
        self.progress_history.append(copy.deepcopy(self.progress))
        return player.play(self)
'''

PLAY = '''
from game.classes import *


def play_one_round(players):
    r = Round(players)
    turn = 0
    while turn < len(players) * 20:
        r.get_play(players[turn % len(players)])
        turn += 1
    return r
'''


def linked(p, caller="game.play.play_one_round"):
    """(callee, kind, guess) of each edge out of the round loop."""
    return {(e.callee, e.kind, e.guess) for e in p.edges[caller]}


# Without the star import resolved, the loop's `r.get_play(...)` is linked by the method's name
# alone (the only get_play in the program): a guess, and no edge to the constructor.
GUESSED = {("game.classes.Round.get_play", "by-name", True)}


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL101")]


def game(classes=CLASSES, play=PLAY, extra=None):
    files = {"game/__init__.py": "", "game/classes.py": classes, "game/play.py": play}
    files.update(extra or {})
    return files


MESSAGE = ("copy.deepcopy() of an attribute on every call: the structure is cloned each time this runs "
           "(and 1 more like it in this function: line 19)")


def test_per_turn_deepcopy_reached_through_a_star_imported_class_is_an_error():
    assert seen(game()) == [("game/classes.py", 18, "error", MESSAGE)]
    finding = [f for f in lint_sources(game(), select=("PFL101",)) if f.rule == "PFL101"][0]
    assert [(hop.path, hop.line, hop.function) for hop in finding.trace][-1] == ("game/play.py", 9, "play_one_round")
    assert finding.trace[-1].note.startswith("calls Round.get_play inside a while loop")


def test_relative_star_import_links_the_constructor_and_the_method():
    p = program(game(play=PLAY.replace("from game.classes import *", "from .classes import *")))
    assert linked(p) == {("game.classes.Round.__init__", "exact", False), ("game.classes.Round.get_play", "exact", False)}


def test_fixed_shallow_copies_are_quiet():
    fixed = CLASSES.replace("copy.deepcopy(self.h)", "list(self.h)").replace(
        "copy.deepcopy(self.progress)", "dict(self.progress)")
    assert fixed != CLASSES
    assert seen(game(classes=fixed)) == []


def test_star_import_of_a_module_outside_the_program_stays_unresolved():
    # the same loop, but Round comes from a module that is not scanned: nothing to link
    outside = PLAY.replace("from game.classes import *", "from hanabi_engine import *")
    assert outside != PLAY
    p = program(game(play=outside))
    assert linked(p) == GUESSED
    assert p.star_names(p.modules["game.play"]) == {}
    assert [severity for _, _, severity, _ in seen(game(play=outside))] == ["note"]


def test_all_limits_the_names_a_star_import_binds():
    limited = '__all__ = ["Hand"]\n' + CLASSES
    p = program(game(classes=limited))
    assert set(p.star_names(p.modules["game.play"])) == {"Hand"}
    assert linked(p) == GUESSED
    assert [severity for _, _, severity, _ in seen(game(classes=limited))] == ["note"]


def test_a_private_name_is_not_bound_by_a_star_import():
    private = CLASSES.replace("class Round", "class _Round")
    p = program(game(classes=private, play=PLAY.replace("Round(players)", "_Round(players)")))
    names = p.star_names(p.modules["game.play"])
    assert "Hand" in names and "copy" in names and "_Round" not in names
    assert linked(p) == {("game.classes._Round.get_play", "by-name", True)}


def test_a_name_the_module_binds_itself_is_not_taken_from_the_star_import():
    own = PLAY.replace("def play_one_round", "Round = dict\n\n\ndef play_one_round")
    p = program(game(play=own))
    assert "Round" not in p.star_names(p.modules["game.play"])
    assert linked(p) == set()  # r holds a dict: nothing of the program


def test_star_chains_are_followed_and_cycles_terminate():
    # game/__init__ star-imports game.rules, which star-imports game.classes; game.rules and
    # game.extra star-import each other: names still resolve, and the lookup ends
    files = game(play=PLAY.replace("from game.classes import *", "from game import *"), extra={
        "game/__init__.py": "from .rules import *\n",
        "game/rules.py": "from .classes import *\nfrom .extra import *\n\ndef score(r):\n    return 0\n",
        "game/extra.py": "from .rules import *\n\ndef bonus(r):\n    return score(r)\n",
    })
    p = program(files)
    names = p.star_names(p.modules["game.play"])
    # each name maps to the module that binds it, whatever the chain it came through
    assert names["Round"] == "game.classes.Round" and names["bonus"] == "game.extra.bonus"
    assert ("game.extra.bonus", "game.rules.score") in edges(p)
    assert linked(p) == {("game.classes.Round.__init__", "exact", False), ("game.classes.Round.get_play", "exact", False)}
    assert [severity for _, _, severity, _ in seen(files)] == ["error"]


def test_bases_named_through_star_imports_join_the_mro():
    p = program({
        "ld/__init__.py": "",
        "ld/reader.py": "__all__ = ['Reader']\n\nclass Reader:\n    def peek(self):\n        return 1\n",
        "ld/resolver.py": "class Resolver:\n    def resolve(self):\n        return 2\n",
        "ld/loader.py": ("from .reader import *\nfrom .resolver import *\n\n"
                         "class Loader(Reader, Resolver):\n    pass\n"),
    })
    assert p.mro("ld.loader.Loader") == ["ld.loader.Loader", "ld.reader.Reader", "ld.resolver.Resolver"]


def test_a_star_reexport_read_from_another_module_is_not_resolved():
    # `game/__init__` star-imports game.classes; another module reading `game.Round` (an
    # import of the package's public API) is left as before: only the star-importing module's
    # own names are looked up in its star imports
    files = game(play=PLAY.replace("from game.classes import *", "import game").replace(
        "Round(players)", "game.Round(players)"), extra={"game/__init__.py": "from .classes import *\n"})
    p = program(files)
    assert p.star_names(p.modules["game"])["Round"] == "game.classes.Round"
    assert p.resolve_dotted("game.Round") is None
    assert linked(p) == GUESSED


def test_a_top_level_match_statement_is_read_for_all_without_an_internal_error():
    # literal_all walked compound statements through `.body`, which a match statement lacks:
    # any module with a top-level `match` was an "internal error while analysing" (test_fuzz)
    from perflint.values import literal_all
    import libcst as cst

    assert literal_all(cst.parse_module('__all__ = ["Hand"]\nmatch x:\n    case 1:\n        pass\n')) == ("Hand",)
    changed = '__all__ = ["Hand"]\nmatch x:\n    case 1:\n        __all__ = ["Round"]\n    case _:\n        pass\n'
    assert literal_all(cst.parse_module(changed)) is None  # changed in a case: not a literal
    p = program(game(classes="match 1:\n    case _:\n        pass\n" + CLASSES))
    assert {"Hand", "Round"} <= set(p.star_names(p.modules["game.play"]))
