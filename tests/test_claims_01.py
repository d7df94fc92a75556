"""What lesson 1 (tensors) says in prose about dtypes, checked against the installed torch."""

import warnings

import numpy as np
import pytest
import torch


def stored(value: float, dtype: torch.dtype) -> float:
    """``value`` converted to ``dtype`` and read back as a Python float."""
    return torch.tensor(value, dtype=torch.float64).to(dtype).item()


def test_float8_e4m3fn_has_no_infinity_and_saturates_at_448():
    assert torch.finfo(torch.float8_e4m3fn).max == 448
    assert stored(70000.0, torch.float8_e4m3fn) == 448.0
    assert stored(1000.5, torch.float8_e4m3fn) == 448.0
    assert stored(-70000.0, torch.float8_e4m3fn) == -448.0
    # the same from float32, and for a whole tensor at once
    assert torch.full((64,), 70000.0).to(torch.float8_e4m3fn).float().eq(448.0).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.float8_e5m2])
def test_types_with_an_infinity_overflow_to_it(dtype):
    assert stored(70000.0, dtype) == float("inf")


def test_a_hundred_thousandth_underflows_to_zero_in_float8_e4m3fn_only():
    assert stored(0.00001, torch.float8_e4m3fn) == 0.0
    for dtype in (torch.float16, torch.bfloat16, torch.float8_e5m2):
        assert stored(0.00001, dtype) > 0


def test_float8_arithmetic_is_not_implemented_on_the_cpu():
    weights = torch.tensor([0.5, -1.25, 3.0]).to(torch.float8_e4m3fn)
    with pytest.raises((RuntimeError, NotImplementedError)):
        weights * 2
    assert torch.equal(weights.float() * 2, torch.tensor([1.0, -2.5, 6.0]))


def test_integers_wrap_around_and_floats_do_not():
    assert (torch.tensor([127], dtype=torch.int8) + 1).item() == -128
    assert (torch.tensor([250], dtype=torch.uint8) + 10).item() == 4
    as_float = torch.tensor([250], dtype=torch.uint8).float() + 10
    assert as_float.item() == 260.0 and as_float.clamp(0, 255).item() == 255.0


@pytest.mark.parametrize("dtype, first_inexact", [(torch.float16, 2049), (torch.bfloat16, 257)])
def test_first_integer_a_16_bit_float_cannot_store(dtype, first_inexact):
    integers = torch.arange(3000.0)
    misses = integers[integers.to(dtype).float() != integers]
    assert int(misses[0]) == first_inexact
    mantissa_bits = -int(np.log2(torch.finfo(dtype).eps))
    assert first_inexact == 2 ** (mantissa_bits + 1) + 1


def test_quantization_error_is_at_most_half_a_step_inside_the_range():
    weights = torch.randn(1000, generator=torch.Generator().manual_seed(0)) * 0.5
    scale = weights.abs().max().item() / 127
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # quantized dtypes are deprecated in torch 2.14
        quantized = torch.quantize_per_tensor(weights, scale=scale, zero_point=0, dtype=torch.qint8)
        clipped = torch.quantize_per_tensor(torch.linspace(-1, 1, 11), scale=0.001, zero_point=0,
                                            dtype=torch.qint8)
    assert (quantized.dequantize() - weights).abs().max().item() <= scale / 2 + 1e-7
    assert clipped.int_repr().min().item() == -128 and clipped.int_repr().max().item() == 127
