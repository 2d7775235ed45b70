"""Method checks and grading, over lines run through the real engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.lessons.course import Learner, Line
from tryredis.lessons.grading import grade
from tryredis.lessons.method import commands_that_ran, first_broken
from tryredis.lessons.model import Exercise, ExerciseCheck, MethodRule, RuleKind


@pytest.fixture
def learner(live_server: str) -> Iterator[Learner]:
    """A fresh, empty sandbox on the live site."""
    one = Learner(live_server)
    yield one
    one.close()


def rule(kind: RuleKind, *commands: str, **options: object) -> MethodRule:
    """A rule whose failure message names it."""
    return MethodRule(kind, f"broke {kind} {commands}", commands=commands, **options)  # type: ignore[arg-type]


def broken(rules: list[MethodRule], lines: list[Line]) -> str | None:
    """The failure message of the first broken rule, or None."""
    found = first_broken(rules, lines)
    return None if found is None else found.fail_html


def test_used_reads_the_command_its_words_and_output(learner: Learner) -> None:
    nx = rule("used", "set", words=("NX",))
    plain = learner.run_all(["SET code 1 EX 60"])
    assert broken([nx], plain) == nx.fail_html
    lower = learner.run_all(["set code 2 ex 60 nx"])  # a key that exists: NX answers (nil)
    assert lower[0].output == "(nil)" and broken([nx], lower) is None
    answered = rule("used", "incrby", output=r"\(integer\) -?[0-9]+")
    assert broken([answered], learner.run_all(["INCRBY n 5"])) is None
    failed = learner.run_all(["INCRBY code 5"])  # "1" is an integer, fine; a string is not:
    assert broken([answered], failed) is None
    wrongtype = learner.run_all(["RPUSH l a", "INCRBY l 5"])
    assert wrongtype[1].kind == "error" and broken([answered], wrongtype) == answered.fail_html


def test_subcommands_typos_and_refusals_are_read_like_the_engine(learner: Learner) -> None:
    create = rule("used", "xgroup|create")
    lines = learner.run_all(
        ["XADD s 1-0 f v", "XGROUP  create s g 0", "XGROUP NOPE", "CONFIG GET *", '"unclosed']
    )
    assert [line.kind for line in lines] == ["reply", "reply", "error", "refused", "parse"]
    assert broken([create], lines) is None
    assert [c.name for c in commands_that_ran(lines)] == ["xadd", "xgroup|create"]


def test_forbid_and_max_commands_count_what_ran(learner: Learner) -> None:
    no_set = rule("forbid", "set", "getset")
    one_write = MethodRule("max_commands", "one write", limit=1)
    looking_around = learner.run_all(
        ["MSET a 1 b 2", "GET a", "KEYS *", "TTL a", "DEL nosuch extra", "SET a"]
    )
    # MSET and DEL wrote; GET/KEYS/TTL read; the SET with too few arguments is an error.
    assert looking_around[-1].kind == "error"
    assert broken([no_set], looking_around) is None
    assert broken([one_write], looking_around) == "one write"
    assert broken([one_write], looking_around[:4]) is None
    assert broken([no_set], learner.run_all(["SET c 3"])) == no_set.fail_html


def test_in_multi_needs_the_commands_in_one_committed_transaction(learner: Learner) -> None:
    both = rule("in_multi", "decrby", "incrby")
    learner.run_all(["SET a 100", "SET b 50"])
    committed = learner.run_all(["MULTI", "DECRBY a 25", "INCRBY b 25", "EXEC"])
    assert committed[-1].output == "1) (integer) 75\n2) (integer) 75"
    assert broken([both], committed) is None
    outside = learner.run_all(["DECRBY a 25", "INCRBY b 25"])
    assert broken([both], outside) == both.fail_html
    split = learner.run_all(["MULTI", "DECRBY a 1", "EXEC", "MULTI", "INCRBY b 1", "EXEC"])
    assert broken([both], split) == both.fail_html
    only_one = learner.run_all(["MULTI", "INCRBY a -1", "INCRBY b 1", "EXEC"])
    assert broken([both], only_one) is None  # the checks, not the rule, say both changed
    discarded = learner.run_all(["MULTI", "DECRBY a 1", "INCRBY b 1", "DISCARD"])
    assert broken([both], discarded) == both.fail_html
    aborted = learner.run_all(["MULTI", "DECRBY a 1", "INCRBY b", "INCRBY b 1", "EXEC"])
    assert aborted[-1].output.startswith("(error) EXECABORT")
    assert broken([both], aborted) == both.fail_html
    # Half outside, half inside: the money was missing from both for a moment.
    mixed = learner.run_all(["DECRBY a 1", "MULTI", "DECRBY a 1", "INCRBY b 2", "EXEC"])
    assert broken([both], mixed) == both.fail_html


def test_a_watched_key_changed_aborts_and_nothing_counts(learner: Learner) -> None:
    inside = rule("in_multi", "set")
    lines = learner.run_all(
        ["SET balance 100", "WATCH balance", "SET balance 500", "MULTI", "SET balance 70", "EXEC"]
    )
    assert lines[-1].output == "(nil)"
    assert broken([inside], lines[3:]) == inside.fail_html
    assert [c.name for c in commands_that_ran(lines)] == ["set", "watch", "set", "multi", "exec"]
    assert broken([rule("used", "exec", output=r"\(nil\)")], lines) is None


def test_a_transaction_opened_before_start_still_counts(learner: Learner) -> None:
    learner.run("MULTI")
    after_start = learner.run_all(["INCR visits", "EXPIRE visits 60", "EXEC"])
    assert broken([rule("in_multi", "incr", "expire")], after_start) is None


def test_grade_reports_the_failing_check_then_the_method(learner: Learner) -> None:
    exercise = Exercise(
        id="stock",
        kind="commands",
        task_html="",
        hints_html=(),
        line=1,
        checks=(ExerciseCheck("GET stock:lamp", expect='"5"', fail_html="not 5 yet"),),
        method=(rule("used", "decrby"),),
        setup=("SET stock:lamp 12",),
    )
    verdict = learner.attempt(exercise, ["DECRBY stock:lamp 4"])
    assert (verdict.passed, verdict.state_ok, verdict.message_html) == (False, False, "not 5 yet")
    assert (verdict.command, verdict.printed) == ("GET stock:lamp", '"8"')
    verdict = learner.attempt(exercise, ["SET stock:lamp 5"])
    assert (verdict.passed, verdict.state_ok) == (False, True)
    assert verdict.message_html == exercise.method[0].fail_html
    assert learner.attempt(exercise, ["DECRBY stock:lamp 7"]).passed
    with pytest.raises(ValueError, match="1 checks, 0 outputs"):
        grade(exercise, [], [])
