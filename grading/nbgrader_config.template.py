# nbgrader config for one Wagamama Lab cohort, written by `wagamama cohort create`.
# Plain nbgrader commands run in this folder read it too, e.g. `nbgrader autograde ex01_wagamama`,
# and so does the cohort's formgrader: every way of grading uses the judge and the sandbox below.
import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "$course_id"
c.CourseDirectory.root = "$root"
# On Kubernetes each formgrader service is given its PostgreSQL gradebook (deploy/k8s/).
c.CourseDirectory.db_url = os.environ.get("WAGAMAMA_GRADEBOOK_URL", "$db_url")

c.Exchange.root = "$exchange_root"
c.Exchange.path_includes_course = True
c.Exchange.timezone = "Asia/Tokyo"
# Collect copies only folders and regular files, never following a link (wagamama.grading.exchange).
# check_owner: on a hub, a submission must belong to the learner its name claims (`wagamama hub render`
# turns it on; on one machine every learner is the same OS user).
c.ExchangeFactory.collect = "wagamama.grading.exchange.SafeCollect"
c.ExchangeCollect.check_owner = $check_owner

# What learners see where an answer goes (Japanese instead of "YOUR CODE HERE").
c.ClearSolutions.code_stub = {
    "python": '# ここに答えを書きます\nraise NotImplementedError("ここに答えを書いたら、この行は消します")'
}
c.ClearSolutions.text_stub = "ここに答えを書きます。"

# How long a cell may run, how much it may print and use while grading: the cohort's cohort.json "sandbox"
# (wagamama.grading.launcher.Policy) is the one place for the limits.

# Grading: deleted test cells come back (restore); test cells are judged in the grading process, never
# in the learner's kernel, and the learner's cells run in the sandbox (wagamama.grading).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "wagamama.grading.restore.RestoreMissingCells",
    "wagamama.grading.cell_metadata.CheckCellMetadataOnce",
]
c.Autograde.autograde_preprocessors = [
    "wagamama.grading.judge.JudgedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "wagamama.grading.cell_metadata.CheckCellMetadataOnce",
]

# Feedback in Japanese, without test code; hidden-test cells keep only their verdict (wagamama.grading.feedback).
c.GenerateFeedback.preprocessors = [
    "wagamama.grading.feedback.GetGradesAndPending",
    "wagamama.grading.feedback.CleanFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# nbgrader always asks for the template "feedback": ours (Japanese, no test code) is found first; the
# formgrader's own templates come after it.
c.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(__import__("wagamama.grading.feedback").grading.feedback.__file__), "templates"),
    os.path.join(os.path.dirname(__import__("nbgrader").__file__), "server_extensions", "formgrader", "templates"),
]

# A test cell the judge cannot run (one that relies on the learner's interpreter) stops generate_assignment,
# with the cell named (exercises/GUIDE.md says how to write tests).
c.GenerateAssignment.preprocessors = [
    "wagamama.grading.authoring.CheckTestCells",
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]
