# nbgrader config for one Wagamama Lab cohort, written by `wagamama cohort create`.
# Plain nbgrader commands run in this folder read it too, e.g. `nbgrader autograde ex01_wagamama`.
import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "$course_id"
c.CourseDirectory.root = "$root"
# On Kubernetes each formgrader service is given its PostgreSQL gradebook (deploy/k8s/).
c.CourseDirectory.db_url = os.environ.get("WAGAMAMA_GRADEBOOK_URL", "$db_url")

c.Exchange.root = "$exchange_root"
c.Exchange.path_includes_course = True
c.Exchange.timezone = "Asia/Tokyo"
# On one machine every learner runs as the same OS user, so the owner check would warn on every submission.
c.ExchangeCollect.check_owner = $check_owner

# What learners see where an answer goes (Japanese instead of "YOUR CODE HERE").
c.ClearSolutions.code_stub = {
    "python": '# ここに答えを書きます\nraise NotImplementedError("ここに答えを書いたら、この行は消します")'
}
c.ClearSolutions.text_stub = "ここに答えを書きます。"

# Each cell may run this long while grading (seconds).
c.Execute.timeout = 30

# Feedback must not show hidden tests, neither their code nor their tracebacks.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "wagamama.grading.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
