"""`make demo` / `wagamama demo --program`: every program with a demo hands in cases that exist (no grading here)."""

from wagamama.cases import load_cases
from wagamama.demo import COHORTS, HANDED_IN
from wagamama.programs import load_programs


def test_every_handed_in_case_exists():
    for assignment, learners in HANDED_IN.items():
        cases = load_cases(assignment)
        missing = {sid: case for sid, case in learners.items() if case not in cases}
        assert not missing, f"{assignment}: no such cases in grading/cases/{assignment}.yaml: {missing}"


def test_each_track_has_a_demo_cohort_that_grades_its_own_assignments():
    programs = load_programs()
    assert set(COHORTS) == {"wagamama-lab", "kyoryokutai", "sip"}
    for pid in COHORTS:
        assert programs[pid].assignments and all(a in HANDED_IN for a in programs[pid].assignments), pid
        ids = [cohort_id for cohort_id, _, _ in COHORTS.values()]
        assert len(set(ids)) == len(ids)
