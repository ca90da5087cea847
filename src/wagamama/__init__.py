"""ワガママLab: 地域のデジタル人材育成のための教材と講座運営ツール。

学習者側: :mod:`wagamama.check` (自己チェック)。
講師側: :mod:`wagamama.cli` (``wagamama`` コマンド) と、データの流れに沿ったモジュール
(cohort → roster → release → learner → grading: collect → autograde → feedback → status/export)。
"""

__version__ = "0.1.0"
