"""The Zero to JupyterHub values: valid against the chart's schema, and the same names as one server."""

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO

from wagamama.cohort import create_cohort, open_cohort
from wagamama.hub import config, k8s
from wagamama.hub.plan import hub_plan
from wagamama.hub.sync import add_instructor, add_learner

Z2JH = REPO / "deploy" / "k8s" / "z2jh"


def merged(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.fixture
def cohorts(home):
    for cid, learners in {"oyama-2026a": ["hana", "taro"], "sakura-2026b": ["yui"]}.items():
        create_cohort(cid, "oneday", f"講座 {cid}")
        add_instructor(open_cohort(cid), f"sensei-{cid[:5]}")
        for learner in learners:
            add_learner(open_cohort(cid), f"{learner}-{cid[:5]}")
    return hub_plan([open_cohort("oyama-2026a"), open_cohort("sakura-2026b")])


@pytest.fixture(scope="module")
def schema():
    return yaml.safe_load((Z2JH / "values.schema.yaml").read_text()), yaml.safe_load((Z2JH / "values.yaml").read_text())


def test_values_validate_against_the_charts_schema(cohorts, schema):
    rules, chart_defaults = schema
    ours = k8s.values(cohorts, public_url="https://lab.example-town.jp/")
    jsonschema.validate(merged(chart_defaults, ours), rules)
    broken = merged(chart_defaults, merged(ours, {"singleuser": {"storage": {"capacity": 2}}}))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, rules)  # the schema really checks what we write


def test_same_roles_groups_and_services_as_one_server(cohorts):
    ours = k8s.values(cohorts)
    names = cohorts.names()
    assert sorted(ours["hub"]["loadRoles"]) == [r for r in names["roles"] if r != "idle-culler"]
    assert sorted(ours["hub"]["config"]["JupyterHub"]["load_groups"]) == names["groups"]
    assert sorted(ours["hub"]["services"]) == [s for s in names["services"] if s != "idle-culler"]
    assert ours["cull"]["enabled"]  # the chart's culler replaces ours
    for c in cohorts.cohorts:
        service = ours["hub"]["services"][c.id]
        assert service["environment"]["JUPYTERHUB_USER"] == c.grader
        assert service["environment"]["WAGAMAMA_GRADEBOOK_URL"].endswith(f"/gradebook_{c.id}")
        assert service["url"] == f"http://hub:{c.port}"
        assert c.port in [p["port"] for p in ours["hub"]["service"]["extraPorts"]]
        role = ours["hub"]["loadRoles"][f"formgrade-{c.id}"]
        assert role["scopes"][0] == f"access:services!service={c.id}" and role["groups"] == [f"formgrade-{c.id}"]
    assert {p["slug"] for p in ours["singleuser"]["profileList"]} >= {"wagamama-lab", "oneday", "instructor"}


def test_ports_are_kept_when_cohorts_are_added(cohorts, home):
    before = {c.id: c.port for c in cohorts.cohorts}
    create_cohort("aaa-first", "oneday", "あとから作った講座")
    after = {c.id: c.port for c in hub_plan([open_cohort(i) for i in ["aaa-first", "oyama-2026a", "sakura-2026b"]]).cohorts}
    assert {k: after[k] for k in before} == before and after["aaa-first"] not in before.values()


def test_image_config_files_equal_what_one_server_writes():
    for kind, files in config.config_files(k8s.EXCHANGE).items():
        if kind == "grader":
            continue
        for name, text in files.items():
            assert (REPO / "deploy" / "k8s" / "images" / "learner" / kind / name).read_text(encoding="utf-8") == text


def test_the_committed_example_is_what_the_renderer_writes(schema):
    """deploy/k8s/values.example.yaml (two sample cohorts) is rendered, not edited by hand, and valid."""
    example = yaml.safe_load((REPO / "deploy" / "k8s" / "values.example.yaml").read_text(encoding="utf-8"))
    rules, chart_defaults = schema
    jsonschema.validate(merged(chart_defaults, example), rules)
    assert example["hub"]["loadRoles"]["formgrade-oyama-2026a"]["groups"] == ["formgrade-oyama-2026a"]
    assert example["hub"]["config"]["JupyterHub"]["public_url"] == "https://lab.example-town.jp/"


def test_gradebook_url_from_the_environment_wins(home, monkeypatch):
    cohort = create_cohort("pgtest", "oneday", "PG")
    monkeypatch.setenv("WAGAMAMA_GRADEBOOK_URL", "postgresql+psycopg://wagamama@db:5432/gradebook_pgtest")
    assert cohort.config().CourseDirectory.db_url.endswith("/gradebook_pgtest")
    monkeypatch.delenv("WAGAMAMA_GRADEBOOK_URL")
    assert str(Path(cohort.config().CourseDirectory.db_url.removeprefix("sqlite:///")).name) == "gradebook.db"


def test_the_learner_image_holds_no_solutions_hidden_tests_or_typical_answers():
    """Learners can read their image: it is built from the package and the lessons only."""
    dockerfile = (REPO / "deploy" / "k8s" / "images" / "learner" / "Dockerfile").read_text(encoding="utf-8")
    copied = [word for line in dockerfile.splitlines() if line.startswith("COPY")
              for word in line.split()[1:-1] if not word.startswith("--")]
    assert copied and "." not in copied, copied
    assert not [c for c in copied if c.split("/")[0] in ("exercises", "grading", "tests", "bench", ".git")], copied
    assert {"src", "curriculum"} <= set(copied)
