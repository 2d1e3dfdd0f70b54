"""Official checkpoints into the zoo: PyTorch ``.pth`` files read without PyTorch.

``zoo.convert.torch_checkpoint.load(path)`` reads a torch checkpoint (legacy or zip format) into
plain Python and NumPy arrays with a restricted unpickler; nothing in the file is executed.
"""
