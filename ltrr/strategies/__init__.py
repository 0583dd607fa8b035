"""Retrieval strategies: the bandit's arms."""
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked
from ltrr.strategies.registry import arm_class, arm_names

__all__ = ["ArmResources", "Candidate", "Strategy", "arm_class", "arm_names", "ranked"]
