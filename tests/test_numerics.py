"""zoo.training.numerics and callbacks.StopOnNonFinite: numbers that cannot train fail loudly."""
import math
import types

import keras
import numpy as np
import pytest

from zoo.training.callbacks import StopOnNonFinite
from zoo.training.numerics import NonFiniteTraining, check_config_numbers, non_finite_items
from zoo.dcgan.config import DCGANConfig


@pytest.mark.parametrize("changes, message", [
    ({"learning_rate": math.nan}, "learning_rate must be a finite number, got nan"),
    ({"lambda_ms": math.inf}, "lambda_ms must be a finite number, got inf"),
    ({"weight_decay": -1e-4}, "weight_decay must be >= 0"),
    ({"learning_rate": 0.0}, "learning_rate must be > 0"),
    ({"beta_1": 1.0}, "beta_1 must be in [0, 1)"),
])
def test_configs_that_cannot_train_are_refused(changes, message):
    with pytest.raises(ValueError) as error:
        check_config_numbers(DCGANConfig().replace(**changes))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_paper_configs_pass():
    check_config_numbers(DCGANConfig())
    check_config_numbers(DCGANConfig().replace(lambda_ms=0.0, weight_decay=0.0))


def test_non_finite_items_reads_numbers_and_tensors():
    logs = {"d_loss": np.float32(1.0), "g_loss": keras.ops.convert_to_tensor(np.inf), "ms_ratio": math.nan}
    bad = non_finite_items(logs)
    assert set(bad) == {"g_loss", "ms_ratio"} and bad["g_loss"] == math.inf


def _callback_on(weights):
    """A StopOnNonFinite attached to a stand-in GAN (its ``weights``: every tracked network's) whose G
    holds ``weights``."""
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    generator.set_weights(weights)
    discriminator = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    callback = StopOnNonFinite()
    callback.set_model(types.SimpleNamespace(weights=generator.weights + discriminator.weights))
    return callback


def test_a_non_finite_loss_stops_at_its_epoch_and_step():
    callback = _callback_on([np.ones((2, 1)), np.zeros(1)])
    callback.on_epoch_begin(2)
    callback.on_train_batch_end(0, {"d_loss": 0.7, "g_loss": 1.2})
    with pytest.raises(NonFiniteTraining) as error:
        callback.on_train_batch_end(4, {"d_loss": 0.7, "g_loss": math.nan})
    assert str(error.value) == "non-finite loss (g_loss=nan) at epoch 3, step 5"
    assert (error.value.epoch, error.value.step) == (3, 5)


def test_non_finite_weights_stop_at_the_end_of_the_epoch():
    _callback_on([np.ones((2, 1)), np.zeros(1)]).on_epoch_end(0)  # finite: nothing happens
    callback = _callback_on([np.array([[1.0], [np.inf]]), np.zeros(1)])
    callback.on_epoch_begin(0)
    with pytest.raises(NonFiniteTraining, match="non-finite weight .*kernel at the end of epoch 1"):
        callback.on_epoch_end(0)
