"""The contextual bandit that picks arms and budgets per query.

``context`` turns a query, its understanding and the request context into a
feature vector; ``policy`` names and validates policies; ``selector`` makes
the per-search decision and learns from click rewards, through ``coverage_policy``
(the coverage learner) or ``mab_policy`` (mabwiser), and returns ``selection``'s records.
"""
from ltrr.bandit.context import CONTEXT_FEATURES, UserHistory, context_vector
from ltrr.bandit.policy import POLICY_NAMES, PolicySpec
from ltrr.bandit.selection import ArmChoice, Selection
from ltrr.bandit.selector import ArmSelector

__all__ = ["CONTEXT_FEATURES", "POLICY_NAMES", "ArmChoice", "ArmSelector", "PolicySpec", "Selection",
           "UserHistory", "context_vector"]
