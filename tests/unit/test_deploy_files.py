"""deploy/: what can be checked without docker or a cluster (CI needs neither; a CI machine with
docker builds the image as well, docs/deploy.md)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


def stages(dockerfile: str) -> dict:
    parts = re.split(r"(?m)^FROM\s+", dockerfile)[1:]
    return {part.split("\n", 1)[0].split(" AS ")[-1].strip(): part for part in parts}


def test_dockerfile_is_multi_stage_non_root_without_compilers():
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    found = stages(text)
    assert list(found) == ["builder", "runtime"], list(found)
    runtime = found["runtime"]
    assert re.search(r"(?m)^USER\s+10001", runtime) and not re.search(r"(?m)^USER\s+(root|0)\b", runtime)
    assert not re.search(r"build-essential|gcc|g\+\+|apt-get install", runtime)
    assert "COPY --from=builder" in runtime
    assert "models/onetrip.tar.gz" in text and "ONETRIP_MODEL" in text  # baked, or mounted
    assert "constraints.txt" in found["builder"]  # the pinned versions


def test_dockerignore_keeps_local_state_out_but_the_model_in():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    for item in (".venv", "var", ".git", "node_modules"):
        assert item in lines, item
    assert "!models/onetrip.tar.gz" in lines


def docs(name: str) -> list:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def test_hall_pods_wait_for_a_per_release_migration_job():
    hall = docs("hall.yaml")
    job = next(d for d in hall if d["kind"] == "Job")
    assert re.fullmatch(r"onetrip-hall-prepare-.+", job["metadata"]["name"])  # per release
    deployment = next(d for d in hall if d["kind"] == "Deployment")
    init = deployment["spec"]["template"]["spec"]["initContainers"]
    assert any("wait_for_head" in " ".join(c["command"]) for c in init)


def test_no_replicas_where_an_autoscaler_owns_them():
    documents = [d for f in sorted(K8S.glob("*.yaml")) if f.name != "rasa-helm-values.yaml"
                 for d in docs(f.name)]
    scaled = {d["spec"]["scaleTargetRef"]["name"] for d in documents if d["kind"] == "HorizontalPodAutoscaler"}
    assert scaled, "expected the Rasa autoscaler"
    for d in documents:
        if d["kind"] == "Deployment" and d["metadata"]["name"] in scaled:
            assert "replicas" not in d["spec"], d["metadata"]["name"]


def test_sla_calendar_ships_with_the_package_data():
    assert (ROOT / "data" / "sla" / "calendar-2027.yml").exists()


def _docker_engine() -> bool:
    """A Docker engine this machine can reach (the client alone builds nothing)."""
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _docker_engine(), reason="no Docker engine here (`docker info` fails): the image is "
                                                 "built on a CI machine that runs one")
def test_the_image_builds_and_runs_as_its_own_user():
    tag = "onetrip-ci:test"
    subprocess.run(["docker", "build", "-f", "deploy/Dockerfile", "-t", tag, "."], cwd=ROOT, check=True,
                   timeout=3600)
    try:
        user = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"],
                              capture_output=True, text=True, check=True, timeout=120).stdout.strip()
        assert user == "10001"
        tools = subprocess.run(["docker", "run", "--rm", "--entrypoint", "sh", tag, "-c",
                                "command -v gcc cc make || true"], capture_output=True, text=True, timeout=120)
        assert tools.stdout.strip() == ""  # no compilers in the final image
        version = subprocess.run(["docker", "run", "--rm", "--entrypoint", "/app/.venv/bin/rasa", tag, "--version"],
                                 capture_output=True, text=True, timeout=300)
        assert "3.6.21" in version.stdout
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=120)
