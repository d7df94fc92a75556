"""What lesson 10 (transfer learning) says in prose, checked cheaply."""

import ast

import pytest
import torch
from torch import nn

from learntorch import checkpoints
from learntorch.digits.model import DigitCNN
from learntorch.fashion.frozen import ActivationBatches, fine_tune
from learntorch.fashion.model import BLOCKS, FEATURES, FashionTransferNet, normalisation
from learntorch.fashion.recipe import NAME
from learntorch.paths import CHECKPOINTS_DIR, ROOT, RUNS_DIR
from learntorch.splits import VALIDATION_SIZES, image_splits
from learntorch.train import evaluate, fit

LESSON = ROOT / "lessons" / "10_transfer_learning.py"
ROWS = ("train_frozen", "train_fine_tuned", "train_from_scratch")  # rows (a) and (b), (c), (d)


@pytest.fixture(scope="module")
def lesson_functions() -> dict[str, ast.FunctionDef]:
    tree = ast.parse(LESSON.read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def calls(node: ast.AST, name: str) -> list[ast.Call]:
    return [call for call in ast.walk(node) if isinstance(call, ast.Call)
            and getattr(call.func, "id", getattr(call.func, "attr", None)) == name]


def test_every_row_of_the_comparison_is_scored_by_the_one_rule(lesson_functions):
    # "keeps the weights of its epoch with the lowest validation loss ... scored by the one
    # function below": every row trains through fit(restore_best=True) (fine_tune calls it)
    # and returns scored(...)
    for name in ROWS:
        function = lesson_functions[name]
        returned = [node.value for node in function.body if isinstance(node, ast.Return)]
        assert len(returned) == 1 and calls(returned[0], "scored"), f"{name} must return scored(...)"
        trainers = calls(function, "fit") + calls(function, "fine_tune")
        assert len(trainers) == 1, name
        arguments = {k.arg: ast.unparse(k.value) for k in trainers[0].keywords}
        # "Every model trains with the same loss, the recipe's cross-entropy with label
        # smoothing, and no augmentation"
        if trainers[0].func.id == "fit":
            assert arguments.get("restore_best") == "True", name
            assert arguments.get("loss_fn") == "loss_fn", name
        else:
            assert arguments.get("label_smoothing") == "settings.label_smoothing", name
            assert "mirrored" not in arguments, name
        # "All of them choose their epoch on the same 2 000 held-out images"
        validation = {"train_frozen": "sets['val']", "train_fine_tuned": "val_subset",
                      "train_from_scratch": "val_x[:val_size], val_y[:val_size]"}[name]
        assert validation in ast.unparse(function), name


def test_the_rows_share_one_loss_and_one_validation_set():
    source = LESSON.read_text()
    assert "loss_fn = nn.CrossEntropyLoss(label_smoothing=settings.label_smoothing)" in source
    assert 'val_subset = tuple(part[:pick(smoke=32, full=2000)] for part in data["val"])' in source
    # the frozen rows' validation features are made from val_subset
    assert '"val": (top_features(val_subset[0]), val_subset[1])' in source
    assert '"val": val_subset' in source
    # the CNN's validation images are those same first val_size held-out images
    assert 'val_size, test_size = len(val_subset[1]), len(data["test"][1])' in source


def test_the_rule_reports_the_kept_epoch_of_the_weights_it_tests(lesson_functions):
    scored = lesson_functions["scored"]
    source = ast.unparse(scored)
    assert "history.best_epoch" in source and "history.val_acc[kept - 1]" in source
    assert "evaluate(model, test_batches" in source


def fit_rows(seed=0):
    torch.manual_seed(seed)
    features = torch.randn(64, 8)
    labels = (features[:, 0] > 0).long()
    return (features[:48], labels[:48]), (features[48:], labels[48:])


@pytest.mark.parametrize("model_name", ["head", "cnn"])
def test_fit_with_restore_best_leaves_the_weights_of_the_reported_epoch(model_name):
    # rows (a) and (c): the validation accuracy printed for the kept epoch is the accuracy
    # of the weights that are then scored on the test set
    torch.manual_seed(0)
    if model_name == "head":
        model = nn.Sequential(nn.Dropout(0.3), nn.Linear(8, 2))
        (train_x, train_y), (val_x, val_y) = fit_rows()
    else:
        model = DigitCNN()
        train_x, train_y = torch.randn(32, 1, 28, 28), torch.arange(32) % 10
        val_x, val_y = torch.randn(16, 1, 28, 28), torch.arange(16) % 10
    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train_x, train_y), batch_size=8,
                                        shuffle=True)
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(val_x, val_y), batch_size=100)
    history = fit(model, train, torch.optim.AdamW(model.parameters(), lr=0.05), epochs=5, val_loader=val,
                  restore_best=True, device=torch.device("cpu"), verbose=False)
    assert history.best_epoch == min(range(1, 6), key=lambda epoch: history.val_loss[epoch - 1])
    assert evaluate(model, val, device=torch.device("cpu"))[1] == history.val_acc[history.best_epoch - 1]


def test_fine_tune_leaves_the_weights_of_the_reported_epoch():
    # row (b): fine_tune keeps the lowest-validation-loss epoch too
    torch.manual_seed(0)
    model = FashionTransferNet(resolution=64, tuned_blocks=1, pretrained=False)
    activations, labels = torch.randn(40, 192, 2, 2).half(), torch.arange(40) % 10
    train, val = (activations[:24], labels[:24]), (activations[24:], labels[24:])
    history = fine_tune(model, train, val, epochs=4, head_lr=0.05, upper_lr=0.05, label_smoothing=0.0,
                        device=torch.device("cpu"), verbose=False)
    assert history.best_epoch == min(range(1, 5), key=lambda epoch: history.val_loss[epoch - 1])
    accuracy = evaluate(nn.Sequential(model.upper, model.head), ActivationBatches(*val, batch_size=500),
                        device=torch.device("cpu"))[1]
    assert accuracy == history.val_acc[history.best_epoch - 1]


def test_the_numbers_the_prose_quotes_about_the_model():
    model = FashionTransferNet(resolution=64, pretrained=False)
    assert sum(p.numel() for p in model.head.parameters()) == 12_810  # the head of row (a)
    assert FEATURES == 1280 and BLOCKS == 16                           # "1 280 numbers", "16 blocks"
    assert normalisation() == ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))       # "mean 0.5 and standard deviation 0.5"


def test_the_split_is_the_one_of_lessons_6_to_8():
    # "Fashion-MNIST's 60 000 training images minus 10 000 held out for validation"
    assert VALIDATION_SIZES["FashionMNIST"] == 10_000
    (train_x, _), (val_x, _), (test_x, _) = image_splits("FashionMNIST")
    assert (len(train_x), len(val_x), len(test_x)) == (50_000, 10_000, 10_000)


def test_running_the_lesson_never_replaces_the_demo_model(lesson_functions, monkeypatch):
    # the lesson trains into checkpoints.run_folder(NAME): runs/fashion/, ignored by git
    tree = ast.parse(LESSON.read_text())
    assignments = [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                   and any(getattr(target, "id", None) == "folder" for target in node.targets)]
    assert assignments == ["folder = checkpoints.run_folder(NAME)"]
    trained = [ast.unparse(call) for call in calls(tree, "train_checkpoint")]
    assert trained == ["train_checkpoint(folder)"]
    monkeypatch.setenv("LEARNTORCH_PROFILE", "full")
    folder = checkpoints.run_folder(NAME)
    assert folder == RUNS_DIR / "fashion" and not folder.is_relative_to(CHECKPOINTS_DIR)
    assert "/runs/" in (ROOT / ".gitignore").read_text().split()


def test_the_demo_card_has_every_line_the_lesson_prints():
    card = checkpoints.load_card(CHECKPOINTS_DIR / NAME)
    for key in ("device", "saved_at", "recipe", "epochs", "history", "data", "test_metrics", "wall_time_s"):
        assert key in card, key
    assert {"train", "validation", "test"} <= set(card["data"])
    assert {"accuracy", "loss"} <= set(card["test_metrics"])
    assert card.get("best_epoch", card["history"].get("best_epoch")) is not None


def test_the_demo_examples_leave_the_sneaker_out():
    # "... and why its examples leave the sneaker out"
    tree = ast.parse((ROOT / "demos" / "fashion.py").read_text())
    examples = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", None) == "EXAMPLE_FILES")
    assert "sneaker.png" not in examples and (ROOT / "demos/examples/fashion/sneaker.png").is_file()
