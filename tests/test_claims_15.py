"""What lesson 15 (from a trained model to a demo) says, checked: a resumed run continues
bit for bit, even in a new process; leaving a piece out changes the result; a pickle runs
code when loaded and weights_only refuses it; safetensors holds tensors only; and what
torch.export and the ONNX export do with the digit CNN."""

import os
import pickle
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch.utils.data import DataLoader, TensorDataset

from learntorch import export
from learntorch.digits.model import DigitCNN
from learntorch.mlp import make_mlp
from learntorch.paths import ROOT
from learntorch.resume import load_run, save_run

EPOCHS = 4


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The same number of threads in this process and in the one it starts: a sum split
    over another number of threads may round differently."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def fresh_start():
    """Seed, then build data, loader (with its own generator), model, optimizer, scheduler, scaler."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    data = torch.Generator().manual_seed(1)
    images, labels = torch.randn(512, 1, 28, 28, generator=data), torch.randint(0, 10, (512,), generator=data)
    loader = DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    model = make_mlp([64], dropout=0.3, batch_norm=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    return loader, model, optimizer, scheduler, scaler


def train(loader, model, optimizer, scheduler, scaler, epochs):
    """Draws from every generator: the loader's, torch's (dropout), NumPy's and Python's (noise, flips)."""
    for _ in epochs:
        model.train()
        for inputs, targets in loader:
            noise = torch.from_numpy(np.random.normal(0.0, 0.1, inputs.shape).astype(np.float32))
            inputs = inputs + noise
            if random.random() < 0.5:
                inputs = inputs.flip(-1)
            loss = F.cross_entropy(model(inputs), targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        scheduler.step()


def first_half_with_its_loader(path, with_generator=True):
    loader, model, optimizer, scheduler, scaler = fresh_start()
    train(loader, model, optimizer, scheduler, scaler, range(1, EPOCHS // 2 + 1))
    save_run(path, model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler, epoch=EPOCHS // 2,
             generators={"shuffle": loader.generator} if with_generator else None)


def second_half(path: Path, out: Path):
    """What the new process runs: a fresh start, load, the remaining epochs, save the weights."""
    torch.set_num_threads(1)
    loader, model, optimizer, scheduler, scaler = fresh_start()
    random.seed(123)  # the new process's generators are anywhere: load_run must put them back
    np.random.seed(123)
    torch.manual_seed(123)
    state = load_run(path, model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler,
                     generators={"shuffle": loader.generator})
    train(loader, model, optimizer, scheduler, scaler, range(state["epoch"] + 1, EPOCHS + 1))
    save_file(model.state_dict(), str(out))


@pytest.fixture(scope="module")
def straight():
    loader, model, optimizer, scheduler, scaler = fresh_start()
    train(loader, model, optimizer, scheduler, scaler, range(1, EPOCHS + 1))
    return model.state_dict()


def differences(state, reference):
    return {name: (tensor.double() - reference[name].double()).abs().max().item()
            for name, tensor in state.items()}


def test_a_run_resumed_in_a_new_process_ends_with_the_same_bits(straight, tmp_path):
    first_half_with_its_loader(tmp_path / "run.pt")
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"from pathlib import Path; import test_claims_15 as t; "
            f"t.second_half(Path({str(tmp_path / 'run.pt')!r}), Path({str(tmp_path / 'out.safetensors')!r}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    resumed = load_file(tmp_path / "out.safetensors")
    assert resumed.keys() == straight.keys()
    assert all(torch.equal(resumed[name], straight[name]) for name in straight), differences(resumed, straight)


def resume_in_process(path, restore_generator=True, restore_rng=True):
    loader, model, optimizer, scheduler, scaler = fresh_start()
    if restore_rng:
        state = load_run(path, model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler,
                         generators={"shuffle": loader.generator} if restore_generator else None)
    else:
        state = torch.load(path, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        loader.generator.set_state(state["generators"]["shuffle"])
    train(loader, model, optimizer, scheduler, scaler, range(state["epoch"] + 1, EPOCHS + 1))
    return model.state_dict()


def test_leaving_out_the_loader_s_generator_or_the_random_states_changes_the_weights(straight, tmp_path):
    first_half_with_its_loader(tmp_path / "run.pt")
    first_half_with_its_loader(tmp_path / "careless.pt", with_generator=False)
    complete = resume_in_process(tmp_path / "run.pt")
    assert all(torch.equal(complete[name], straight[name]) for name in straight)
    without_generator = resume_in_process(tmp_path / "careless.pt", restore_generator=False)
    without_rng = resume_in_process(tmp_path / "run.pt", restore_rng=False)
    for state in (without_generator, without_rng):
        assert max(differences(state, straight).values()) > 1e-3


def test_load_run_refuses_a_file_that_does_not_fit_what_it_is_given(tmp_path):
    first_half_with_its_loader(tmp_path / "run.pt")
    loader, model, optimizer, scheduler, scaler = fresh_start()
    with pytest.raises(ValueError, match="saved generators"):
        load_run(tmp_path / "run.pt", model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler)
    with pytest.raises(ValueError, match="a scheduler was saved"):
        load_run(tmp_path / "run.pt", model=model, optimizer=optimizer, scaler=scaler,
                 generators={"shuffle": loader.generator})


def test_the_resume_file_holds_only_what_weights_only_accepts(tmp_path):
    first_half_with_its_loader(tmp_path / "run.pt")
    state = torch.load(tmp_path / "run.pt", weights_only=True)
    assert set(state) == {"epoch", "model", "optimizer", "scheduler", "scaler", "rng", "generators", "extra"}
    assert set(state["optimizer"]["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    with zipfile.ZipFile(tmp_path / "run.pt") as archive:
        assert not any(name.endswith(".partial") for name in archive.namelist())
    assert [path.name for path in tmp_path.iterdir()] == ["run.pt"]  # the partial file was renamed


class Runs:
    """Unpickling it calls exec: it writes a file named by the test."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (exec, (f"import pathlib; pathlib.Path({str(self.target)!r}).write_text('ran')",))


def test_loading_a_pickle_runs_what_it_names_and_weights_only_refuses_it(tmp_path):
    proof = tmp_path / "proof.txt"
    torch.save({"weights": torch.zeros(3), "note": Runs(proof)}, tmp_path / "model.pt")
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL exec"):
        torch.load(tmp_path / "model.pt", weights_only=True)
    assert not proof.exists()
    loaded = torch.load(tmp_path / "model.pt", weights_only=False)
    assert proof.read_text() == "ran" and loaded["note"] is None


def test_safetensors_holds_tensors_only_behind_a_json_header(tmp_path):
    with pytest.raises(ValueError, match="expected torch.Tensor"):
        save_file({"a": torch.zeros(2), "note": Runs(tmp_path / "x")}, tmp_path / "refused.safetensors")
    save_file({"a": torch.arange(6.0).reshape(2, 3)}, tmp_path / "a.safetensors")
    raw = (tmp_path / "a.safetensors").read_bytes()
    header_length = int.from_bytes(raw[:8], "little")
    assert raw[8:8 + header_length].decode().startswith("{") and len(raw) == 8 + header_length + 24


def test_torch_export_refuses_an_example_batch_of_one_for_a_dynamic_batch_and_accepts_two():
    torch.manual_seed(0)
    model = DigitCNN().eval()
    dynamic = ({0: torch.export.Dim("batch", max=1024)},)
    with pytest.raises(Exception, match="specialized it to be a constant"):
        torch.export.export(model, (torch.zeros(1, 1, 28, 28),), dynamic_shapes=dynamic)
    program = torch.export.export(model, (torch.zeros(2, 1, 28, 28),), dynamic_shapes=dynamic)
    module = program.module()
    with torch.no_grad():
        for size in (1, 5, 300):
            x = torch.randn(size, 1, 28, 28)
            assert torch.equal(module(x), model(x))
        with pytest.raises(Exception, match="Guard failed"):
            module(torch.zeros(1, 1, 32, 32))
    targets = {str(node.target) for node in program.graph.nodes if node.op == "call_function"}
    assert {"aten.batch_norm.default", "aten.dropout.default"} <= targets


def test_the_onnx_export_of_the_digit_cnn_has_batch_norm_folded_and_no_dropout():
    path = export.OUT / "digits.onnx"
    if not path.is_file():
        pytest.skip("no ONNX export: run `python -m learntorch.export`")
    model = onnx.load(path)
    kinds = {node.op_type for node in model.graph.node}
    assert kinds == {"Conv", "Relu", "MaxPool", "Reshape", "Gemm"}, kinds
    dims = [dim.dim_param or dim.dim_value for dim in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 1, 28, 28]
