"""Evaluation as a library: the MSGAN paper's protocols, what they are built from, and their reports.

* :mod:`zoo.training.evaluation.presets` - the paper's counts per preset (``label``, ``image``, ``text``,
  ``unpaired``);
* :mod:`zoo.training.evaluation.protocols` - :class:`LabelProtocol`, :class:`ConditionProtocol` and
  :func:`evaluate_models` (every model scored against the same reference statistics and bins);
* :mod:`zoo.training.evaluation.unpaired` - :class:`UnpairedProtocol` (DRIT: diversity, FID/NDB
  against the target domain, and whether each translation keeps its own input's layout);
* :mod:`zoo.training.evaluation.sources` - reference data, FID features, LPIPS, and
  :func:`build_protocol` from options;
* :mod:`zoo.training.evaluation.report` - console / Markdown tables, per-class tables, card body, plots;
* :mod:`zoo.training.evaluation.class_diversity` and :mod:`zoo.training.evaluation.paired` - the quick
  within-class L1 of label models and the diversity + fidelity of image models on validation pairs.

The command lines are thin: ``training/evaluate.py``, ``training/diversity.py``,
``training/paired_eval.py``; every card they write goes through :mod:`zoo.cards`.
Attributes load their module on first use, so ``from zoo.training import evaluation`` is cheap.
"""
from zoo.lazy import lazy_attributes

_LAZY = {
    "PRESETS": "zoo.training.evaluation.presets",
    **{name: "zoo.training.evaluation.protocols" for name in (
        "LabelProtocol", "ConditionProtocol", "evaluate_models", "REFERENCE", "draw", "to_unit", "check_lpips_size")},
    **{name: "zoo.training.evaluation.sources" for name in (
        "build_protocol", "make_features", "make_lpips", "feature_spec", "load_model", "label_data",
        "image_folder_uint8", "unpaired_data", "DIGITS_CLASSIFIER", "CIFAR10_CLASSIFIER")},
    **{name: "zoo.training.evaluation.unpaired" for name in ("UnpairedProtocol", "LAYOUT_LPIPS_SAMPLES")},
    **{name: "zoo.training.evaluation.report" for name in (
        "format_table", "markdown_table", "per_class_markdown", "table_columns", "model_labels", "paper_deviations",
        "card_body", "write_plots")},
    **{name: "zoo.training.evaluation.class_diversity" for name in ("class_diversity", "real_digits_diversity")},
}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
