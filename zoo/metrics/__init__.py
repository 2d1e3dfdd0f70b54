"""Metrics of the MSGAN paper's evaluation: diversity (and, per the metrics issue, FID, LPIPS, NDB/JSD)."""
from zoo.metrics.diversity import mean_pairwise_l1, per_condition_l1_diversity

__all__ = ["mean_pairwise_l1", "per_condition_l1_diversity"]
