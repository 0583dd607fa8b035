"""Ranking the pooled candidates: features, a documented heuristic and a LightGBM LambdaMART ranker."""
from ltrr.rank.features import FEATURE_NAMES, FeatureBuilder
from ltrr.rank.heuristic import heuristic_contributions, heuristic_scores, heuristic_weights
from ltrr.rank.metrics import ndcg_at_k
from ltrr.rank.ranker import Ranker

__all__ = ["FEATURE_NAMES", "FeatureBuilder", "Ranker", "heuristic_contributions", "heuristic_scores",
           "heuristic_weights", "ndcg_at_k"]
