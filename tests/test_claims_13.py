"""What lesson 13 (training faster) states as fact, checked cheaply."""

import torch
import torch.nn.functional as F

from learntorch.digits.model import DigitCNN


def test_channels_last_keeps_the_shape_and_puts_channels_next_to_each_other():
    features = torch.randn(2, 32, 14, 14)
    nhwc = features.contiguous(memory_format=torch.channels_last)
    assert nhwc.shape == features.shape and torch.equal(nhwc, features)
    assert features.stride() == (32 * 14 * 14, 14 * 14, 14, 1)
    assert nhwc.stride() == (32 * 14 * 14, 1, 14 * 32, 32)  # the channel axis has stride 1


def test_the_layout_passes_through_the_digit_cnn():
    model = DigitCNN().to(memory_format=torch.channels_last).eval()
    inputs = torch.randn(4, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    features = model.features(inputs)
    assert features.is_contiguous(memory_format=torch.channels_last)
    plain = DigitCNN().eval()
    plain.load_state_dict(model.state_dict())
    torch.testing.assert_close(model(inputs), plain(inputs.contiguous()), rtol=1e-4, atol=1e-5)


def test_cpu_autocast_computes_the_logits_in_bfloat16_and_the_loss_in_float32():
    model = DigitCNN()
    inputs, targets = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(inputs)
        loss = F.cross_entropy(logits.float(), targets)
    assert logits.dtype == torch.bfloat16 and loss.dtype == torch.float32
    loss.backward()
    assert all(p.grad.dtype == torch.float32 for p in model.parameters())  # the weights stay float32


def test_the_second_convolution_does_sixteen_times_the_first_ones_arithmetic():
    first = 28 * 28 * 32 * 1 * 9   # output pixels x output channels x input channels x 3 x 3
    second = 14 * 14 * 64 * 32 * 9
    assert second == 16 * first
    model = DigitCNN()
    convolutions = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    assert [tuple(c.weight.shape) for c in convolutions] == [(32, 1, 3, 3), (64, 32, 3, 3)]
