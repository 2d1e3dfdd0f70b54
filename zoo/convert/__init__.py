"""Official checkpoints into the zoo: the authors' PyTorch ``.pth`` files, read without PyTorch.

``python -m zoo.convert NAME CHECKPOINT --out DIR [--discriminator D.pth]`` (:mod:`zoo.convert.__main__`)
writes a zoo model directory that ``zoo.load(NAME, weights=DIR)``, ``training/evaluate.py --model
DIR`` and ``python -m zoo.export DIR`` take, with a card naming the source files and their sha256.

Modules:

* :mod:`zoo.convert.torch_checkpoint` -- ``load(path) -> object``: a torch checkpoint (legacy or
  zip format) as plain Python with NumPy arrays in torch layout; a restricted unpickler, nothing
  in the file is executed. NumPy only (no Keras, no TensorFlow).
* :mod:`zoo.convert.tensors` -- layout changes (OIHW -> HWIO, ...) and shape-checked assignment
  into Keras layers with one-line errors naming the torch key.
* :mod:`zoo.convert.training_state` -- writing the directory, optionally with D and a
  ``training/fit.py --resume`` checkpoint.

How a family plugs in (the contract the CLI dispatches on):

1. its folder has ``convert.py`` with
   ``convert_checkpoint(config, path, out_dir, **options) -> config``: read the official file at
   ``path``, infer the widths from the tensor shapes, fill ``config`` (the zoo preset of the name)
   with them, and write ``generator.weights.h5`` and ``config.json`` into ``out_dir`` (an empty
   staging folder; the CLI reads the written ``config.json`` back, adds the card and moves the
   folder into place; the return value is not used). Bad input raises a one-line
   ``ValueError`` naming the file and key. The one option so far is ``discriminator`` (the path of
   a separate discriminator file, Pix2Pix's ``400_net_D.pth``); a family whose signature lacks it
   makes ``--discriminator`` a usage error;
2. its ``FAMILY = Family(..., convert_checkpoint=convert_checkpoint)`` registers it;
3. the zoo names it converts give ``official_checkpoint=`` (the file as the official README lays
   it out) to ``add_spec`` in :mod:`zoo.registry`; ``python -m zoo`` then lists them as
   ``convertible`` and ``zoo.load`` names the command when no weights are found.
"""
