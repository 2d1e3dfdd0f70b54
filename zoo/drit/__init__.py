"""DRIT with the mode seeking term (MSGAN's unpaired image-to-image task).

The folder holds the family whole: ``config`` (the official ``DRIT-Mode-Seeking`` options),
``layers`` (PyTorch-exact padding, transposed convolution, norms), ``networks`` (content and
attribute encoders, generators, domain and content discriminators, the :class:`Translator`),
``model`` (the trainable DRIT and its ``train_step``), ``sampler`` and ``convert`` (the official
``01999.pth`` / ``01200.pth`` checkpoints into our translator).
"""
from zoo.drit.config import DRITConfig
from zoo.drit.convert import convert_checkpoint
from zoo.drit.model import DRIT
from zoo.drit.networks import Translator, build_generator, translator_of
from zoo.drit.sampler import DRITSampler
from zoo.drit.serving import export_graph
from zoo.family import Family

FAMILY = Family("drit", DRITConfig, build_generator, DRIT, DRITSampler, convert_checkpoint=convert_checkpoint,
                export_graph=export_graph)

# The paper's two unpaired tasks as the authors released them: cat2dog with --concat 0
# (saved at epoch index 1999, so 2,000 epochs; where its decay started is not published, the
# default options decay over the second half), Yosemite summer <-> winter with --concat 1.
PRESETS = (
    DRITConfig(name="msgan_drit_cat2dog", dataset="cat2dog", concat=0, epochs=2000, n_ep_decay=1000),
    DRITConfig(name="msgan_drit_yosemite", dataset="yosemite", concat=1, epochs=1200, n_ep_decay=600),
)

__all__ = ["DRIT", "DRITConfig", "DRITSampler", "FAMILY", "PRESETS", "Translator", "build_generator", "translator_of"]
