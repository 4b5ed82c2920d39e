"""nbgrader settings for running a course from the book (see course/course.py)."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.root = __file__.rsplit("/", 1)[0]
c.CourseDirectory.course_id = "neural-odes-executable"
# A cell that runs longer than this is interrupted and its exercise scores zero: an
# infinite loop costs one student a minute, not the whole class a night.
c.Execute.timeout = int(os.environ.get("COURSE_CELL_TIMEOUT", "60"))
c.Execute.interrupt_on_timeout = True
# Keep what a submission prints from flooding the gradebook and the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40
