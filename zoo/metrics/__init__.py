"""Metrics of the MSGAN paper's evaluation: FID (and KID), LPIPS, NDB / JSD, diversity.

Public API::

    frechet_distance(mu1, sigma1, mu2, sigma2) -> float
    kid(features1, features2) -> (mean, std)
    ndb_jsd(train, generated, k, seed=0, alpha=0.05) -> dict
    LPIPS(net="alex" | "vgg", weights=PATH)(x0, x1) -> (N,) distances
    alexnet_features()(images) -> (N, 256) FID features (offline stand-in for Inception)
    layout_ratio(outputs, inputs) -> dict: does each unpaired translation keep its own input's layout
"""
from zoo.metrics.diversity import (colour_split, lpips_diversity, mean_pairwise_l1, per_condition_l1_diversity,
                                   random_pairs, saturation)
from zoo.metrics.fid import (InceptionGraph, KerasFeatures, feature_statistics, fid_from_features,
                             frechet_distance, kid)
from zoo.metrics.layout import layout_maps, layout_ratio, lpips_layout_ratio
from zoo.metrics.lpips import LPIPS, alexnet_features
from zoo.metrics.ndb import NDBBins, fit_bins, load_bins, ndb_jsd, plot_bin_centers, plot_bin_proportions

__all__ = [
    "frechet_distance", "kid", "ndb_jsd", "LPIPS", "alexnet_features",
    "feature_statistics", "fid_from_features", "InceptionGraph", "KerasFeatures",
    "NDBBins", "fit_bins", "load_bins", "plot_bin_centers", "plot_bin_proportions",
    "mean_pairwise_l1", "per_condition_l1_diversity", "colour_split", "saturation", "lpips_diversity",
    "random_pairs", "layout_maps", "layout_ratio", "lpips_layout_ratio",
]
