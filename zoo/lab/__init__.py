"""The mode-collapse lab: problems where modes can be counted, apart from the paper's models.

Toy mixtures (:mod:`zoo.lab.toy`), 2-D GANs with the remedies side by side
(:mod:`zoo.lab.gan2d`: MS, minibatch discrimination, unrolled), the differentiable unrolled
update (:mod:`zoo.lab.unrolled`) and Stacked MNIST (:mod:`zoo.lab.stacked_mnist`). Training runs
are :mod:`zoo.lab.harness`'s, MNIST's files :mod:`zoo.lab.mnist_files`'; the benchmark drivers
live in ``bench/``.
"""
