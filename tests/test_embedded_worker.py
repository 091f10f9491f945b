"""`make run` on the embedded default: the Procfile's worker and beat come up on kombu's
filesystem broker (no Redis), and a job queued by another process goes through the worker,
with every process on one SQLite file. The processes run exactly as the Procfile says."""

import sqlite3
import subprocess
import sys
import textwrap
import time

from django.conf import settings

from tests.embedded import ROOT, embedded_env, procfile, start, stop


def test_the_procfile_runs_the_web_server_a_worker_on_every_queue_and_beat():
    processes = procfile()
    assert set(processes) == {"web", "worker", "beat"}
    assert "runserver" in processes["web"]
    assert f"--queues={','.join(settings.JOB_QUEUES)}" in processes["worker"]
    assert set(settings.JOB_QUEUES) == {"emails", "imports", "rollups", "default"}
    assert "beat" in processes["beat"]


QUEUE_AN_IMPORT = textwrap.dedent(
    """
    from django.core.files.uploadedfile import SimpleUploadedFile
    from accounts.models import Organization, User
    from core.imports import service
    from core.imports.registry import importer_for

    org = Organization.objects.create(name="Embedded Mart")
    user = User.objects.create_user(email="owner@embedded.test", password="embedded-passphrase-1")
    importer = importer_for("stores")
    upload = SimpleUploadedFile("stores.csv", b"Store Number,Name\\n1,One\\n2,Two\\n3,Three\\n")
    batch = service.start_import(organization=org, user=user, importer=importer, uploaded_file=upload)
    assert service.confirm(batch=batch, importer=importer, user=user, valid_only=False, inline=False)
    print(batch.pk)
    """
)


def test_a_job_goes_through_the_procfile_worker_on_the_filesystem_broker(tmp_path):
    env = embedded_env(tmp_path)
    python = [sys.executable, "manage.py"]
    migrated = subprocess.run(
        [*python, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "var" / "broker" / "queue").is_dir()  # made by the settings

    # The web process's part: an import too big to apply in the request is queued.
    queued = subprocess.run(
        [*python, "shell", "-c", QUEUE_AN_IMPORT], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert queued.returncode == 0, queued.stderr
    batch_id = int(queued.stdout.strip().splitlines()[-1])
    assert list((tmp_path / "var" / "broker" / "queue").glob("*.imports.msg"))  # waiting

    processes = procfile()
    worker_log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115
    beat_log = open(tmp_path / "beat.log", "w+")  # noqa: SIM115
    worker = start(processes["worker"], env, worker_log)
    beat = start(processes["beat"], env, beat_log)
    try:
        database = sqlite3.connect(tmp_path / "db.sqlite3")
        deadline = time.monotonic() + 90
        row = None
        while time.monotonic() < deadline:
            row = database.execute(
                "SELECT status, created_count FROM core_importbatch WHERE id = ?", [batch_id]
            ).fetchone()
            if row[0] in ("applied", "failed") or worker.poll() is not None:
                break
            time.sleep(0.5)
        stores = database.execute("SELECT count(*) FROM accounts_store").fetchone()[0]
        database.close()
        worker_log.seek(0)
        assert row == ("applied", 3), worker_log.read()[-3000:]
        assert stores == 3
        assert not list((tmp_path / "var" / "broker" / "queue").glob("*.imports.msg"))
        # Beat prints its banner at once but "beat: Starting" only once its scheduler is up,
        # which on a busy machine can come after the worker has finished the import.
        deadline = time.monotonic() + 60
        beat_said = ""
        while time.monotonic() < deadline and beat.poll() is None:
            beat_log.seek(0)
            beat_said = beat_log.read()
            if "beat: Starting" in beat_said:
                break
            time.sleep(0.5)
        assert beat.poll() is None, beat_said[-3000:]
        assert "beat: Starting" in beat_said, beat_said[-3000:]
    finally:
        stop(worker)
        stop(beat)
        worker_log.close()
        beat_log.close()
