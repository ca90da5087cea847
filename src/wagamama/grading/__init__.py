"""Grading: everything between a learner's hand-in and the grade an instructor trusts.

(The threat model is written out here once the judge lands.)
"""
