"""`onetrip train`: train the Rasa model when its inputs changed since the last model.

Rasa's own fingerprinting (cache in var/rasa-cache) decides which graph nodes to retrain; this
command only avoids starting Rasa at all when nothing changed, which keeps `make run` quick.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List

from bot.settings import ROOT, load_settings, process_env

TRAINING_DATA = ["data/nlu", "data/rules", "data/stories"]
# Everything the trained model depends on: Rasa files, the catalogue and lexicons the custom
# components read, and the components' code.
MODEL_INPUTS = ["config.yml", "domain.yml", *TRAINING_DATA, "data/catalogue", "data/lexicon", "bot/nlu", "bot/matching", "bot/routing", "bot/text"]


def rasa_env(extra: Dict[str, str] | None = None) -> Dict[str, str]:
    """Environment for every Rasa process: offline, quiet TensorFlow, cache under var/."""
    env = process_env()
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "TF_ENABLE_ONEDNN_OPTS": "0",
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
        }
    )
    env.update(extra or {})
    return env


def _files(paths: Iterable[str]) -> List[Path]:
    found: List[Path] = []
    for rel in paths:
        path = ROOT / rel
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml", ".py", ".txt"))
    return found


def inputs_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _files(MODEL_INPUTS):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def rasa_bin() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def check_catalogue(path: Path) -> None:
    """The catalogue the matcher trains on must validate first: a broken one is reported plainly
    in Chinese with exit status 2, the same as `onetrip catalogue validate`, never as a Rasa
    traceback from inside training."""
    from bot.catalogue import CatalogueError, load_catalogue

    try:
        load_catalogue(path, max_age_days=None)
    except CatalogueError as exc:
        print(f"onetrip: 事项库 {path} 校验未通过，共 {len(exc.problems)} 个问题（未训练模型、未启动服务）：",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        print(f"请改正后运行 onetrip catalogue validate {path} 确认。", file=sys.stderr)
        raise SystemExit(2)


def ensure_model(force: bool = False, quiet: bool = False) -> Path:
    """Train when needed; return the model path. Raises SystemExit with Rasa's code on failure.

    Several `onetrip up`/`onetrip train` started at once (test stacks, a second instance) share
    models/: one trains while the others wait for it, then find the model up to date."""
    settings = load_settings()
    check_catalogue(settings.catalogue_path)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    model = settings.model_path
    model.parent.mkdir(parents=True, exist_ok=True)
    with open(model.with_name(".train.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_model(settings, model, force, quiet)


def _ensure_model(settings, model: Path, force: bool, quiet: bool) -> Path:
    # The stamp lives beside the model, so any var/ (a test's, a second instance's) can reuse it.
    stamp = model.with_name(model.name.removesuffix(".tar.gz") + ".fingerprint")
    fingerprint = inputs_fingerprint()
    if not force and model.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
        if not quiet:
            print(f"onetrip: 模型 {model.relative_to(ROOT) if model.is_relative_to(ROOT) else model} 已是最新（model up to date）")
        return model
    print("onetrip: 训练数据、事项库或配置有变化，正在训练 Rasa 模型（training）…", flush=True)
    command = [
        rasa_bin(), "train",
        "--config", "config.yml", "--domain", "domain.yml",
        "--data", *TRAINING_DATA,
        "--out", str(model.parent), "--fixed-model-name", model.name.removesuffix(".tar.gz"),
    ]
    env = rasa_env({"RASA_CACHE_DIRECTORY": str(settings.var_dir / "rasa-cache")})
    result = subprocess.run(command, cwd=ROOT, env=env)
    if result.returncode != 0 or not model.exists():
        print("onetrip: 模型训练失败（training failed），请查看上面 Rasa 的输出", file=sys.stderr)
        raise SystemExit(result.returncode or 1)
    stamp.write_text(fingerprint + "\n")
    return model


def run(args: argparse.Namespace) -> int:
    ensure_model(force=args.force)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="训练 Rasa 模型（输入未变化时跳过）")
    parser.add_argument("--force", action="store_true", help="即使输入未变化也重新训练")
    parser.set_defaults(func=run)
